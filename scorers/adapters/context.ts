// Turning the loose records other harnesses hand to a grader (vars, example outputs, metadata)
// back into a ScorableSample: the one place where adapters read `target`, `scorer` and `metadata`.
import type { ScorableSample } from '../types.js';

/** Fields an exported test case carries, as stored by the exporters. */
export interface ExportedVars {
  id?: unknown;
  task?: unknown;
  target?: unknown;
  scorer?: unknown;
  metadata?: unknown;
}

function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const t = value.trim();
  if (!(t.startsWith('[') || t.startsWith('{'))) return value;
  try {
    return JSON.parse(t);
  } catch {
    return value;
  }
}

/**
 * A ScorableSample from exported vars. `target` may be a list or its JSON (CSV-based harnesses
 * turn lists into strings); `metadata` likewise; `scorer` may be given on its own or inside
 * metadata.
 * @throws Error naming the missing or wrong field.
 * @example sampleFromVars({ id: 'a', task: 't/x', target: '["v"]', scorer: 'exact' }).target // ['v']
 */
export function sampleFromVars(vars: ExportedVars, where = 'test case'): ScorableSample {
  const target = parseMaybeJson(vars.target);
  const targetList = typeof target === 'string' ? [target] : target;
  if (!Array.isArray(targetList) || !targetList.every((t) => typeof t === 'string')) throw new Error(`${where}: "target" must be a list of strings (or its JSON), got ${JSON.stringify(vars.target)}`);
  const metadata = parseMaybeJson(vars.metadata ?? {});
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw new Error(`${where}: "metadata" must be an object (or its JSON)`);
  const scorer = vars.scorer ?? (metadata as Record<string, unknown>)['scorer'];
  if (typeof scorer !== 'string') throw new Error(`${where}: "scorer" must name a longweave scorer (in vars or metadata)`);
  return {
    id: typeof vars.id === 'string' ? vars.id : '',
    task: typeof vars.task === 'string' ? vars.task : '',
    target: targetList as string[],
    metadata: { ...(metadata as Record<string, unknown>), scorer },
  };
}
