// Whether a run directory may take more answers: what it was started with (recipe, shard and the
// content of every samples file, in run.json) against what this invocation would run. A rerun
// into the same directory, or --resume after a dataset was regenerated in place, would otherwise
// mix answers to different prompts under the same sample ids.
import type { DatasetIdentity, RunInputs } from './inputs.js';
import type { Shard } from './grid.js';
import type { RunRecipe } from './recipe/types.js';

/** What identifies a run: the recipe as written, the shard, and the inputs by content. */
export interface RunIdentity {
  recipe: RunRecipe;
  shard?: Shard;
  inputs?: RunInputs;
}

const show = (value: unknown): string => (value === undefined ? 'unset' : JSON.stringify(value));

/**
 * The JSON paths where two values differ, as `path: was X, now Y` (arrays by index).
 * @example jsonDifferences({ a: [1, 2] }, { a: [1, 3] }) // ['/a/1: was 2, now 3']
 */
export function jsonDifferences(was: unknown, now: unknown, path = ''): string[] {
  // An object that appears or goes is compared field by field, so each field is named.
  const isRecord = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (was === undefined && isRecord(now)) was = {};
  if (now === undefined && isRecord(was)) now = {};
  const bothObjects = typeof was === 'object' && was !== null && typeof now === 'object' && now !== null;
  if (!bothObjects || Array.isArray(was) !== Array.isArray(now)) {
    return JSON.stringify(was) === JSON.stringify(now) ? [] : [`${path || '/'}: was ${show(was)}, now ${show(now)}`];
  }
  const a = was as Record<string, unknown>;
  const b = now as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.flatMap((key) => jsonDifferences(a[key], b[key], `${path}/${key}`));
}

const short = (sha: string): string => sha.slice(0, 12);
const datasetKey = (d: Pick<DatasetIdentity, 'name' | 'length'>): string => `${d.name} at length ${d.length}`;

/** How the inputs differ, one line per dataset. */
function inputDifferences(was: RunInputs, now: RunInputs): string[] {
  const out: string[] = [];
  const before = new Map(was.datasets.map((d) => [datasetKey(d), d]));
  const after = new Map(now.datasets.map((d) => [datasetKey(d), d]));
  for (const [key, old] of before) {
    const current = after.get(key);
    if (!current) {
      out.push(`dataset ${key} (${old.path}) was part of the run and is not now`);
      continue;
    }
    if (current.sha256 !== old.sha256) {
      const counts = current.samples !== old.samples ? `, ${old.samples} samples then and ${current.samples} now` : '';
      out.push(`dataset ${key}: its samples file changed since the run started (${current.path}: sha256 ${short(old.sha256)}... then, ${short(current.sha256)}... now${counts})`);
    }
  }
  for (const [key, current] of after) if (!before.has(key)) out.push(`dataset ${key} (${current.path}) is new to the run`);
  return out;
}

/**
 * Recipe fields that say how requests travel, not what is asked or how answers are produced: a
 * server that moved, a longer timeout or more retries leave earlier answers comparable.
 */
const TRANSPORT = [
  /^\/models\/\d+\/options\/(baseUrl|baseUrls(\/\d+)?|concurrency|timeoutMs|retries|backoffBaseMs|backoffMaxMs|apiKeyEnv|headers(\/.*)?|cacheDir)$/,
  /^\/run\/fsyncEveryMs$/,
  /^\/description$/,
];

/**
 * The recipe fields that differ only in how requests travel (see TRANSPORT), one line each: a run
 * may continue with them changed, and run.json takes the new values.
 * @example transportDifferences(previous, next) // ['/models/0/options/baseUrl: was "http://a/v1", now "http://b/v1"']
 */
export function transportDifferences(previous: RunIdentity, next: RunIdentity): string[] {
  return jsonDifferences(previous.recipe, next.recipe).filter((d) => TRANSPORT.some((rule) => rule.test(d.slice(0, d.indexOf(':')))));
}

/**
 * What differs between the run a directory holds and the one about to run, one line each;
 * empty when the run may continue. Transport settings (server URLs, timeouts, retries,
 * concurrency) may change; inputs are compared only when both sides record them.
 * @example runDifferences(previous, next) // ['dataset ruler.niah at length 4096: its samples file changed ...']
 */
export function runDifferences(previous: RunIdentity, next: RunIdentity): string[] {
  const transport = new Set(transportDifferences(previous, next));
  const out = jsonDifferences(previous.recipe, next.recipe)
    .filter((d) => !transport.has(d))
    .map((d) => `recipe ${d}`);
  if (JSON.stringify(previous.shard) !== JSON.stringify(next.shard)) {
    const shard = (s: Shard | undefined): string => (s ? `${s.index}/${s.count}` : 'none');
    out.push(`shard: was ${shard(previous.shard)}, now ${shard(next.shard)}`);
  }
  if (previous.inputs && next.inputs) out.push(...inputDifferences(previous.inputs, next.inputs));
  return out;
}
