// `longweave show FILE --id X`: one sample, readably. The prompt is printed with its needles (the
// facts a task placed, from metadata.needles) highlighted, long stretches between them elided
// unless --full; then the targets and the metadata. --json prints the sample as it is stored.
import type { CommandModule } from 'yargs';
import { existsSync } from 'node:fs';
import { readLines } from '../scorers/io/read-lines.js';
import type { NeedlePlacement, Sample } from '../generators/core/sample.js';
import { CliError } from './errors.js';
import { numberFlag } from './numbers.js';

interface ShowArgs {
  file: string;
  id: string | undefined;
  index: number | undefined;
  json: boolean;
  full: boolean;
  color: boolean | undefined;
  around: number;
}

export interface FormatOptions {
  /** Highlight with ANSI colours (else with ⟦n ... ⟧ markers). */
  color: boolean;
  /** Print the whole prompt. */
  full: boolean;
  /** Characters kept on each side of a needle, and at the start and end of the prompt, when eliding. */
  around: number;
}

const ON = '\u001b[1;30;43m';
const OFF = '\u001b[0m';
const DIM = '\u001b[2m';

function elision(chars: number, color: boolean): string {
  const text = `[… ${chars.toLocaleString('en-US')} characters …]`;
  return color ? `${DIM}${text}${OFF}` : text;
}

/**
 * The prompt with needles highlighted, elided to the needles' surroundings unless `full`.
 * @example highlightPrompt('a KEY b', [{ text: 'KEY', charOffset: 2, tokenOffset: 1, tokenCount: 1, depth: 0.5 }], { color: false, full: true, around: 10 }) // 'a ⟦1 KEY⟧ b'
 */
export function highlightPrompt(input: string, needles: readonly NeedlePlacement[], options: FormatOptions): string {
  const spans = needles
    .map((n, i) => ({ start: n.charOffset, end: n.charOffset + n.text.length, label: i + 1 }))
    .filter((s) => s.start >= 0 && s.end <= input.length)
    .sort((a, b) => a.start - b.start);
  // Which characters to print: everything, or the ends and the needles with their surroundings.
  const keep: [number, number][] = [];
  if (options.full || input.length <= 4 * options.around + spans.reduce((sum, s) => sum + s.end - s.start + 2 * options.around, 0)) {
    keep.push([0, input.length]);
  } else {
    keep.push([0, options.around * 2], [input.length - options.around * 2, input.length]);
    for (const s of spans) keep.push([Math.max(0, s.start - options.around), Math.min(input.length, s.end + options.around)]);
  }
  keep.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const range of keep) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([...range]);
  }
  const open = (label: number): string => (options.color ? `${ON}[${label}]` : `⟦${label} `);
  const close = options.color ? OFF : '⟧';
  let out = '';
  let cursor = 0;
  for (const [from, to] of merged) {
    if (from > cursor) out += elision(from - cursor, options.color);
    // Print [from, to) with needle markers inside it.
    let at = from;
    for (const s of spans) {
      if (s.end <= at || s.start >= to) continue;
      const start = Math.max(s.start, at);
      out += input.slice(at, start);
      if (s.start >= at) out += open(s.label);
      const end = Math.min(s.end, to);
      out += input.slice(start, end);
      if (s.end <= to) out += close;
      at = end;
    }
    out += input.slice(at, to);
    cursor = to;
  }
  if (cursor < input.length) out += elision(input.length - cursor, options.color);
  return out;
}

/**
 * A sample as readable text: header, prompt, targets, needles and metadata.
 * @example formatSample(sample, { color: false, full: false, around: 300 })
 */
export function formatSample(sample: Sample, options: FormatOptions): string {
  const m = sample.metadata;
  const needles = m.needles ?? [];
  const rule = (title: string): string => `\n── ${title} ${'─'.repeat(Math.max(4, 60 - title.length))}\n`;
  let out = `${sample.id}\n`;
  out += `task ${sample.task} v${sample.taskVersion} · ${m.category} · scope ${m.scope} · dispersion ${m.dispersion} · scorer ${m.scorer}\n`;
  out += `${m.inputTokens} tokens (${m.tokenizer}${m.chatTemplate ? ', chat template' : ', no chat template'}) · seed ${m.seed} · index ${m.index}\n`;
  out += rule('prompt');
  out += highlightPrompt(sample.input, needles, options);
  if (sample.answerPrefix !== undefined) out += `\n(answer prefix: ${JSON.stringify(sample.answerPrefix)})`;
  out += rule(`target (${sample.target.length})`);
  out += sample.target.map((t, i) => `${sample.target.length > 1 ? `${i + 1}. ` : ''}${t}`).join('\n');
  if (needles.length > 0) {
    out += rule(`needles (${needles.length})`);
    out += needles.map((n, i) => `[${i + 1}] token ${n.tokenOffset} (+${n.tokenCount}), depth ${n.depth.toFixed(3)}, char ${n.charOffset}`).join('\n');
  }
  out += rule('metadata');
  const skip = new Set(['needles', 'seed', 'tokenizer', 'inputTokens', 'chatTemplate', 'index', 'category', 'scope', 'dispersion', 'scorer']);
  out += Object.entries(m)
    .filter(([k]) => !skip.has(k))
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n');
  return `${out}\n`;
}

/**
 * Finds a sample by id in a samples.jsonl file, streaming (only the matching line is parsed).
 * @throws CliError when the file is missing or the id is not in it.
 */
export async function findSample(file: string, id: string): Promise<Sample> {
  if (!existsSync(file)) throw new CliError(`${file} does not exist.`);
  const needle = `"id":${JSON.stringify(id)}`;
  const seen: string[] = [];
  let lineNo = 0;
  for await (const line of readLines(file)) {
    lineNo++;
    if (!line.trim()) continue;
    if (line.includes(needle)) {
      try {
        const sample = JSON.parse(line) as Sample;
        if (sample.id === id) return sample;
      } catch (error) {
        throw new CliError(`${file} line ${lineNo}: not valid JSON (${(error as Error).message}).`);
      }
    } else if (seen.length < 5) {
      const m = /"id":("(?:[^"\\]|\\.)*")/.exec(line.slice(0, 400));
      if (m) seen.push(JSON.parse(m[1] as string) as string);
    }
  }
  throw new CliError(`No sample with id "${id}" in ${file}${seen.length ? ` (ids there include ${seen.join(', ')})` : ''}.`);
}

/**
 * The sample at a 0-based position of a samples.jsonl file (blank lines skipped), streaming.
 * @throws CliError when the file is missing or holds fewer samples.
 */
export async function sampleAt(file: string, index: number): Promise<Sample> {
  if (!existsSync(file)) throw new CliError(`${file} does not exist.`);
  let position = -1;
  let lineNo = 0;
  for await (const line of readLines(file)) {
    lineNo++;
    if (!line.trim()) continue;
    position++;
    if (position < index) continue;
    try {
      return JSON.parse(line) as Sample;
    } catch (error) {
      throw new CliError(`${file} line ${lineNo}: not valid JSON (${(error as Error).message}).`);
    }
  }
  throw new CliError(`--index ${index}: ${file} holds ${position + 1} samples (indices 0 to ${position}).`);
}

export const showCommand: CommandModule<object, ShowArgs> = {
  command: 'show <file>',
  describe: 'Print one sample readably: the prompt with its needles highlighted, the targets and the metadata',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'A samples.jsonl file' })
      .option('id', { type: 'string', describe: 'The sample id' })
      .option('index', { type: 'string', coerce: numberFlag('index', { integer: true, min: 0 }), describe: 'The sample at this position of the file, 0-based (default: the first, when no --id)' })
      .conflicts('id', 'index')
      .option('json', { type: 'boolean', default: false, describe: 'Print the sample as stored (JSON)' })
      .option('full', { type: 'boolean', default: false, describe: 'Print the whole prompt (default: elide long stretches between needles)' })
      .option('around', { type: 'number', default: 400, describe: 'Characters kept around each needle and at the prompt ends when eliding' })
      .option('color', { type: 'boolean', describe: 'Highlight with colours (default: when stdout is a terminal and NO_COLOR is unset)' })
      .example('$0 show datasets/releases/frontier-mini/story.retrieval/4k/samples.jsonl', 'the first sample of a file')
      .example('$0 show data/frontier/story.retrieval/16k/samples.jsonl --id ID --full', 'a sample by id, the whole prompt'),
  handler: async (args) => {
    if (!Number.isInteger(args.around) || args.around < 0) throw new CliError(`--around must be a non-negative integer, got ${args.around}.`);
    const sample = args.id !== undefined ? await findSample(args.file, args.id) : await sampleAt(args.file, args.index ?? 0);
    if (args.json) {
      process.stdout.write(`${JSON.stringify(sample, null, 2)}\n`);
      return;
    }
    const color = args.color ?? (process.stdout.isTTY === true && !process.env['NO_COLOR']);
    process.stdout.write(formatSample(sample, { color, full: args.full, around: args.around }));
  },
};
