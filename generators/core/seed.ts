// Per-sample seeds. A sample's seed is a hash of everything that defines it, so adding a task, a
// length or more samples never changes another sample (faker's lesson: streams shift when calls
// are added, so never share one stream across samples). That includes what the prompt is counted
// under (tokenizer file, chat template, template kwargs) and the user files a task reads: the
// same text counts differently under each, so each gets its own prompt, seed and id.
import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level: the canonical form of parameters.
 * @example canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }) // '{"a":[2,{"c":4,"d":3}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** What identifies one sample. */
export interface SampleKey {
  suiteSeed: number | string;
  taskId: string;
  taskVersion: number;
  params: Record<string, unknown>;
  length: number;
  index: number;
  /** The prompt format's identity (formatIdentity): tokenizer hash, template hash and kwargs. */
  format: Record<string, unknown>;
  /** Content hashes of the user's files the task reads (QA sources), by role; empty for most tasks. */
  inputs?: Record<string, string>;
}

/**
 * The sample's seed: sha256 of the canonical key, as 32 hex characters.
 * @example deriveSampleSeed({ suiteSeed: 7, taskId: 'ruler/niah', taskVersion: 1, params: {}, length: 4096, index: 0,
 *   format: formatIdentity(promptFormat(loadTokenizer('qwen3'), true)) })
 */
export function deriveSampleSeed(key: SampleKey): string {
  const canonical = canonicalJson({
    suiteSeed: String(key.suiteSeed),
    taskId: key.taskId,
    taskVersion: key.taskVersion,
    params: key.params,
    length: key.length,
    index: key.index,
    format: key.format,
    inputs: key.inputs && Object.keys(key.inputs).length > 0 ? key.inputs : undefined,
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

/**
 * A stable sample id: task, length, index and a short hash of the seed, which covers everything
 * else (suite seed, version, parameters, tokenizer, template, kwargs, input files), so two different
 * prompts never share an id.
 * @example sampleId('ruler/niah', 4096, 3, 'abcdef0123') // 'ruler.niah-4096-0003-abcdef01'
 */
export function sampleId(taskId: string, length: number, index: number, seed: string): string {
  return `${taskId.replace('/', '.')}-${length}-${String(index).padStart(4, '0')}-${seed.slice(0, 8)}`;
}
