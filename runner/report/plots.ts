// The report's figures as Vega-Lite specs, rendered to SVG strings in Node (no browser, no
// network): accuracy against length per task, accuracy against compression ratio per method
// and length (the paper's figures), and accuracy by needle depth and length for retrieval tasks.
import type { TopLevelSpec } from 'vega-lite';
import type { CellSummary } from '../analysis/cells.js';
import type { Row } from '../analysis/rows.js';
import type { CellSpeed } from '../analysis/speed.js';

/** A figure: a title and its spec. */
export interface Figure {
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

const isDense = (c: { prefill: string; decode: string }): boolean => c.prefill === 'dense' && c.decode === 'dense';
const pct = (v: number | null | undefined): number | null => (v === null || v === undefined ? null : Math.round(v * 10000) / 100);

const FONT = { font: 'sans-serif', labelFont: 'sans-serif', titleFont: 'sans-serif' };
/** Width of an error bar's caps, in pixels. */
const TICK_SIZE = 8;
/** How far apart methods at the same compression ratio are drawn, in log2 units of the axis. */
const DODGE_LOG2 = 0.08;

/** Accuracy against length, one panel per task, one line per model (dense cells). */
export function accuracyByLength(cells: readonly CellSummary[]): Figure | undefined {
  const values = cells
    .filter((c) => isDense(c) && c.mean !== null)
    .map((c) => ({ task: c.task, model: c.model, length: c.length, accuracy: pct(c.mean), low: pct(c.ci?.low), high: pct(c.ci?.high), n: c.n }));
  if (values.length === 0) return undefined;
  // Lengths are usually powers of two: an ordinal axis spaces them evenly, as the paper's figures do.
  const x = { field: 'length', type: 'ordinal', sort: 'ascending', title: 'length (tokens)' } as const;
  return {
    id: 'accuracy-by-length',
    title: 'Accuracy against length (dense)',
    caption: 'Mean score x100 per task and length; bars are 95% intervals.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values },
      facet: { column: { field: 'task', type: 'nominal', title: null } },
      spec: {
        width: 220,
        height: 180,
        layer: [
          // Caps as wide as a point, not the band: a band-wide cap reads as a reference line.
          { mark: { type: 'errorbar', ticks: { size: TICK_SIZE } }, encoding: { x, y: { field: 'low', type: 'quantitative', title: 'accuracy' }, y2: { field: 'high' }, color: { field: 'model', type: 'nominal' } } },
          {
            mark: { type: 'line', point: true },
            encoding: {
              x,
              y: { field: 'accuracy', type: 'quantitative', scale: { domain: [0, 100] }, title: 'accuracy' },
              color: { field: 'model', type: 'nominal' },
            },
          },
        ],
      },
      config: FONT,
    },
  };
}

/**
 * Accuracy against compression ratio for one model: rows are tasks, columns lengths, one line per
 * sparse method; dense accuracy is each line's point at C = 1 (and a dashed rule).
 */
export function accuracyByCompression(cells: readonly CellSummary[], model: string): Figure | undefined {
  const mine = cells.filter((c) => c.model === model && c.mean !== null);
  const methods = [...new Set(mine.filter((c) => !isDense(c)).map((c) => `${c.prefill}/${c.decode}`))];
  if (methods.length === 0) return undefined;
  const dense = mine.filter(isDense);
  // Methods measured at the same ratio are drawn a little apart (a fixed factor on the log axis
  // per method), so their intervals never cover each other; `compression` keeps the true ratio.
  methods.sort();
  const dodge = (method: string): number => 2 ** ((methods.indexOf(method) - (methods.length - 1) / 2) * DODGE_LOG2);
  const values: Record<string, unknown>[] = [];
  const point = (c: CellSummary, method: string, compression: number): Record<string, unknown> => ({
    task: c.task,
    length: c.length,
    method,
    compression,
    position: compression * dodge(method),
    accuracy: pct(c.mean),
    low: pct(c.ci?.low),
    high: pct(c.ci?.high),
  });
  for (const c of mine) {
    if (isDense(c)) continue;
    values.push(point(c, `${c.prefill}/${c.decode}`, c.compression));
  }
  for (const d of dense) {
    for (const method of methods) {
      if (mine.some((c) => `${c.prefill}/${c.decode}` === method && c.task === d.task && c.length === d.length && c.compression === 1)) continue;
      values.push(point(d, method, 1));
    }
  }
  const x = { field: 'position', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'compression ratio' } as const;
  return {
    id: `accuracy-by-compression-${model}`,
    title: `Accuracy against compression ratio: ${model}`,
    caption: 'Mean score x100 per task (rows), length (columns) and method; C = 1 is dense. Bars are 95% intervals; methods at the same ratio are drawn slightly apart so their bars stay readable.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values },
      facet: { row: { field: 'task', type: 'nominal', title: null }, column: { field: 'length', type: 'ordinal', title: 'length (tokens)' } },
      spec: {
        width: 200,
        height: 150,
        layer: [
          { mark: { type: 'errorbar', ticks: { size: TICK_SIZE } }, encoding: { x, y: { field: 'low', type: 'quantitative', title: 'accuracy' }, y2: { field: 'high' }, color: { field: 'method', type: 'nominal' } } },
          {
            mark: { type: 'line', point: true },
            encoding: {
              x,
              y: { field: 'accuracy', type: 'quantitative', scale: { domain: [0, 100] }, title: 'accuracy' },
              color: { field: 'method', type: 'nominal' },
              tooltip: [{ field: 'method' }, { field: 'compression', title: 'C' }, { field: 'accuracy' }, { field: 'low' }, { field: 'high' }],
            },
          },
        ],
      },
      resolve: { scale: { x: 'shared' } },
      config: FONT,
    },
  };
}

/**
 * Accuracy against measured speedup over dense for one model: rows are tasks, columns the phase
 * (prefill, decode step); one line per method and length through its compression ratios, dense at 1x.
 * Only cells with a speedup (a dense cell on the same device and generation form) are drawn.
 */
export function accuracyBySpeedup(speed: readonly CellSpeed[], model: string): Figure | undefined {
  const mine = speed.filter((s) => s.model === model && s.score !== null);
  const phases = (s: CellSpeed) => [['prefill', s.prefillSpeedup], ['decode step', s.decodeSpeedup]] as const;
  const point = (s: CellSpeed, method: string, phase: string, speedup: number): Record<string, unknown> => ({
    task: s.task,
    length: s.length,
    method,
    line: `${method} @ ${s.length}`,
    compression: s.compression,
    phase,
    speedup: Math.round(speedup * 1000) / 1000,
    accuracy: pct(s.score),
    device: s.device,
  });
  const values: Record<string, unknown>[] = [];
  for (const s of mine) {
    if (isDense(s)) continue;
    for (const [phase, speedup] of phases(s)) if (speedup !== null) values.push(point(s, `${s.prefill}/${s.decode}`, phase, speedup));
  }
  if (values.length === 0) return undefined;
  // Dense is each method's point at 1x, where the method's line starts (as at C = 1 in the compression figure).
  for (const d of mine.filter(isDense)) {
    for (const [phase, speedup] of phases(d)) {
      if (speedup === null) continue;
      const methods = new Set(values.filter((v) => v['task'] === d.task && v['length'] === d.length && v['phase'] === phase).map((v) => v['method'] as string));
      for (const method of [...methods].sort()) values.push(point(d, method, phase, speedup));
    }
  }
  const x = { field: 'speedup', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'speedup over dense (same device)' } as const;
  const y = { field: 'accuracy', type: 'quantitative' as const, scale: { domain: [0, 100] }, title: 'accuracy' };
  return {
    id: `accuracy-by-speedup-${model}`,
    title: `Accuracy against measured speedup: ${model}`,
    caption: 'Mean score x100 against the dense time over the cell\'s (prefill, and time per decode step), per task (rows); lines join a method\'s compression ratios at one length (shape), starting from dense at 1x.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values },
      facet: { row: { field: 'task', type: 'nominal', title: null }, column: { field: 'phase', type: 'nominal', title: null, sort: ['prefill', 'decode step'] } },
      spec: {
        width: 240,
        height: 160,
        layer: [
          { mark: { type: 'line', opacity: 0.5 }, encoding: { x, y, color: { field: 'method', type: 'nominal' }, detail: { field: 'line' }, order: { field: 'compression' } } },
          {
            mark: { type: 'point', filled: true },
            encoding: {
              x,
              y,
              color: { field: 'method', type: 'nominal' },
              shape: { field: 'length', type: 'nominal', title: 'length' },
              tooltip: [{ field: 'method' }, { field: 'length' }, { field: 'compression', title: 'C' }, { field: 'speedup' }, { field: 'accuracy' }, { field: 'device' }],
            },
          },
        ],
      },
      resolve: { scale: { x: 'shared' } },
      config: FONT,
    },
  };
}

/** Depth bins of a heat map (tenths of the context). */
export function depthBin(depth: number): number {
  return Math.min(9, Math.floor(depth * 10)) / 10;
}

/** Accuracy by needle depth (tenths) and length for retrieval tasks, dense rows of one model. */
export function depthHeatmap(rows: readonly Row[], model: string): Figure | undefined {
  const groups = new Map<string, { task: string; length: number; depth: number; sum: number; n: number }>();
  for (const r of rows) {
    if (r.model !== model || !isDense(r) || r.failed || r.excluded || r.score === undefined || r.depth === undefined || r.category !== 'retrieval') continue;
    const depth = depthBin(r.depth);
    const key = JSON.stringify([r.task, r.length, depth]);
    const g = groups.get(key) ?? { task: r.task, length: r.length, depth, sum: 0, n: 0 };
    g.sum += r.score;
    g.n++;
    groups.set(key, g);
  }
  if (groups.size === 0) return undefined;
  const values = [...groups.values()].map((g) => ({ task: g.task, length: g.length, depth: `${Math.round(g.depth * 100)}-${Math.round(g.depth * 100) + 10}%`, accuracy: Math.round((g.sum / g.n) * 10000) / 100, n: g.n }));
  return {
    id: `depth-heatmap-${model}`,
    title: `Accuracy by needle depth and length (retrieval tasks, dense): ${model}`,
    caption: 'Mean score x100 of samples whose needles sit, on average, at that depth of the context.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values },
      facet: { column: { field: 'task', type: 'nominal', title: null } },
      spec: {
        width: 220,
        height: 200,
        layer: [
          {
            mark: 'rect',
            encoding: {
              x: { field: 'length', type: 'ordinal', title: 'length (tokens)' },
              y: { field: 'depth', type: 'ordinal', title: 'needle depth', sort: 'ascending' },
              color: { field: 'accuracy', type: 'quantitative', scale: { domain: [0, 100], scheme: 'redyellowgreen' } },
            },
          },
          {
            mark: { type: 'text', fontSize: 9 },
            encoding: {
              x: { field: 'length', type: 'ordinal' },
              y: { field: 'depth', type: 'ordinal', sort: 'ascending' },
              text: { field: 'accuracy', type: 'quantitative', format: '.0f' },
            },
          },
        ],
      },
      config: FONT,
    },
  };
}

/**
 * Renders a Vega-Lite spec to an SVG string, headless.
 * @example const svg = await renderSvg(figure.spec); // '<svg ...>...</svg>'
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // Loaded on first use: vega takes most of a second to import, and most commands draw nothing.
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
