// The task mix of the tiny reference model, shared by the tokenizer corpus (corpus.mjs) and the
// training data (make-data.mjs): which generator tasks, with which parameters, at which lengths.
// Every entry is a task id, its parameters, and the lengths it is generated at; entries whose
// fixed parts do not fit a length are skipped by the caller (LengthError).

/** The paper's ruler/niah (defaults) and its RULER-format variants over key/value shapes. */
const NIAH = [
  {},
  { keys: 1, queries: 1 },
  { keys: 2, queries: 2 },
  { keyType: 'word', valueType: 'number', haystack: 'prose', keys: 1, queries: 1 },
  { keyType: 'word', valueType: 'number', haystack: 'noise', keys: 1, queries: 1, format: 'ruler' },
  { keyType: 'word', valueType: 'number', haystack: 'prose', keys: 1, queries: 1, format: 'ruler' },
  { keyType: 'word', valueType: 'uuid', haystack: 'prose', keys: 1, queries: 1, format: 'ruler' },
  { keyType: 'word', valueType: 'number', haystack: 'prose', keys: 4, queries: 1, format: 'ruler' },
  { keyType: 'word', valueType: 'number', haystack: 'needle', keys: 1, queries: 1, format: 'ruler' },
  { keyType: 'uuid', valueType: 'uuid', haystack: 'needle', keys: 1, queries: 1, format: 'ruler' },
  { keyType: 'word', valueType: 'number', haystack: 'prose', keys: 1, values: 4, queries: 1, format: 'ruler' },
  { keyType: 'word', valueType: 'number', haystack: 'prose', keys: 4, queries: 4, format: 'ruler' },
  { keyType: 'number', valueType: 'word', haystack: 'prose', keys: 2, queries: 2 },
  { keyType: 'uuid', valueType: 'number', haystack: 'noise', keys: 4, queries: 4 },
];

const VT = [
  {},
  { chains: 1, hops: 4, haystack: 'noise', format: 'ruler' },
  { chains: 2, hops: 2 },
  { chains: 4, hops: 4, haystack: 'prose' },
];

const RETRIEVAL = [{}, { questions: 1 }, { questions: 2 }, { questions: 4 }, { questions: 8 }];
const MULTIHOP = [{}, { hops: 2 }, { absent: true }];
const QA = [{}, { questionKind: 'choice' }, { colour: 4 }, { absent: 0.2 }];

/**
 * The mix: entries with a relative weight (how often a training sample is drawn from the entry).
 * The paper's default settings of ruler/niah and story/retrieval carry the most weight: they are
 * the model's accuracy targets.
 */
export const MIX = [
  ...NIAH.map((params, i) => ({ task: 'ruler/niah', params, weight: i === 0 ? 6 : 1 })),
  ...VT.map((params, i) => ({ task: 'ruler/vt', params, weight: i === 0 ? 3 : 1 })),
  ...RETRIEVAL.map((params, i) => ({ task: 'story/retrieval', params, weight: i === 0 ? 6 : 1.5 })),
  ...MULTIHOP.map((params, i) => ({ task: 'story/multihop', params, weight: i === 0 ? 3 : 1 })),
  ...QA.map((params, i) => ({ task: 'qa/synthetic', params, weight: i === 0 ? 2 : 1 })),
];

/**
 * The mix with each named task's entries scaled: `spec` is `TASK=FACTOR[,TASK=FACTOR...]`.
 * @throws Error for an unknown task or a factor that is not a positive number.
 */
export function weightedMix(mix, spec) {
  if (spec === undefined) return mix;
  const factors = new Map();
  for (const part of String(spec).split(',')) {
    const [task, factor] = part.split('=');
    const f = Number(factor);
    if (!mix.some((e) => e.task === task)) throw new Error(`--task-weight: no task "${task}" in the mix (${[...new Set(mix.map((e) => e.task))].join(', ')})`);
    if (!(f > 0)) throw new Error(`--task-weight: factor of ${task} must be a positive number; got "${factor}"`);
    factors.set(task, f);
  }
  return mix.map((e) => (factors.has(e.task) ? { ...e, weight: e.weight * factors.get(e.task) } : e));
}

/** Parses `--name value` flags into an object (numbers stay strings). */
export function parseFlags(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[a.slice(2)] = true;
    else { out[a.slice(2)] = next; i++; }
  }
  return out;
}
