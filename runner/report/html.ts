// report.html: one self-contained file (inline CSS, inline SVG figures, a few lines of inline
// script to sort tables); it loads nothing from the network and opens offline.
import type { Row } from '../analysis/rows.js';
import type { RunSummary } from '../analysis/summary.js';
import { accuracyByCompression, accuracyByLength, accuracyBySpeedup, depthHeatmap, renderSvg, type Figure } from './plots.js';
import { cellTable, costTable, denseTable, failureTable, scalingTable, speedTable, tokenTable, type Table } from './tables.js';

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function tableHtml(table: Table): string {
  if (table.rows.length === 0) return '';
  const head = table.headers.map((h, i) => `<th${table.numeric[i] ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const cellClass = (i: number): string => {
    const classes = [table.numeric[i] ? 'num' : '', table.wrap?.[i] ? 'wrap' : ''].filter(Boolean);
    return classes.length > 0 ? ` class="${classes.join(' ')}"` : '';
  };
  const body = table.rows
    .map((r, row) => `<tr${table.highlight?.[row] ? ' class="warn"' : ''}>${r.map((c, i) => `<td${cellClass(i)}>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<section><h2>${escapeHtml(table.title)}</h2>
<table class="sortable"><thead><tr>${head}</tr></thead><tbody>
${body}
</tbody></table>${table.note ? `\n<p class="note">${escapeHtml(table.note)}</p>` : ''}</section>`;
}

// Vega writes xlink/svg namespaces only; strip anything that could reach the network anyway.
function sanitizeSvg(svg: string): string {
  return svg.replace(/\s(?:xlink:)?href="(?!#)[^"]*"/g, '');
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1600px}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}
section{overflow-x:auto}
table{border-collapse:collapse;font-size:12px;margin:.5em 0}
th,td{border:1px solid #ddd;padding:2px 6px;white-space:nowrap}th{background:#f4f4f4;cursor:pointer}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.wrap{white-space:normal;overflow-wrap:anywhere;min-width:24em;max-width:60em}
tr.warn td{background:#fff4ce}
.warnings{border-left:4px solid #d9a400;background:#fffbea;padding:.5em 1em;max-width:1000px}
.note{color:#666;font-size:12px;max-width:1000px}figure{margin:1em 0;overflow-x:auto}
figcaption{color:#555;font-size:12px}`;

// Sorts a table by a clicked header; marks the page rendered for the headless-browser test.
const SCRIPT = `(function(){
document.querySelectorAll('table.sortable th').forEach(function(th,col){th.addEventListener('click',function(){
var tb=th.closest('table').tBodies[0];var rows=Array.prototype.slice.call(tb.rows);var asc=th.dataset.dir!=='asc';th.dataset.dir=asc?'asc':'desc';
rows.sort(function(a,b){var x=a.cells[col].textContent,y=b.cells[col].textContent;var nx=parseFloat(x),ny=parseFloat(y);
var c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);return asc?c:-c;});rows.forEach(function(r){tb.appendChild(r);});});});
document.body.setAttribute('data-figures',String(document.querySelectorAll('figure svg').length));
document.body.setAttribute('data-ready','1');
})();`;

/** The figures of a report, in order. */
export function reportFigures(summary: RunSummary, rows: readonly Row[]): Figure[] {
  const models = [...new Set(summary.cells.map((c) => c.model))].sort();
  return [
    accuracyByLength(summary.cells),
    ...models.map((m) => accuracyByCompression(summary.cells, m)),
    ...models.map((m) => accuracyBySpeedup(summary.speed, m)),
    ...models.map((m) => depthHeatmap(rows, m)),
  ].filter((f): f is Figure => f !== undefined);
}

/**
 * Renders report.html.
 * @example writeFileSync('report.html', await renderHtmlReport(summary, input.rows));
 */
export async function renderHtmlReport(summary: RunSummary, rows: readonly Row[]): Promise<string> {
  const figures = reportFigures(summary, rows);
  const rendered: string[] = [];
  for (const figure of figures) {
    const svg = sanitizeSvg(await renderSvg(figure.spec));
    rendered.push(`<figure id="${escapeHtml(figure.id)}"><h2>${escapeHtml(figure.title)}</h2>${svg}<figcaption>${escapeHtml(figure.caption)}</figcaption></figure>`);
  }
  const runs = summary.runs.map((r) => `${escapeHtml(r.name)} (${escapeHtml(r.dir)}${r.shard ? `, shard ${escapeHtml(r.shard)}` : ''})`).join(', ');
  const t = summary.totals;
  const tables = [cellTable(summary), denseTable(summary), speedTable(summary), costTable(summary), scalingTable(summary), tokenTable(summary), failureTable(summary)].map(tableHtml).filter((s) => s !== '');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>longweave report: ${escapeHtml(summary.runs.map((r) => r.name).join(', '))}</title>
<style>${STYLE}</style></head>
<body>
<h1>longweave report</h1>
<p>Runs: ${runs}. ${t.pairs} samples: ${t.scored} answered, ${t.failures} failed${t.duplicates ? `, ${t.duplicates} duplicates across runs (later run kept)` : ''}. longweave ${escapeHtml(summary.longweave)}, scorer version ${summary.scoring.scorerVersion}${summary.scoring.compat ? ` (--compat ${escapeHtml(summary.scoring.compat)})` : ''}.</p>
${summary.warnings.length > 0 ? `<div class="warnings"><strong>Read these numbers with care:</strong><ul>${summary.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul></div>` : ''}
${rendered.join('\n')}
${tables.join('\n')}
<script>${SCRIPT}</script>
</body></html>
`;
}
