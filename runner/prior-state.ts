// What earlier invocations left in a run directory: the pairs answered (and whether each still
// needs scoring) and the sample info written, read after torn last lines are cut.
import { SCORER_VERSION } from '../scorers/version.js';
import { readJsonl } from './jsonl/read-lines.js';
import { repairTail } from './jsonl/append-log.js';
import { methodOf, predictionKey, type RunPrediction, type RunResult, type SampleInfo } from './records.js';
import { runPaths } from './run-dir.js';

/** What earlier invocations left on disk. */
export interface PriorState {
  /** Keys answered successfully, with the prediction when it still needs scoring. */
  answered: Map<string, RunPrediction | undefined>;
  /** Dataset label of every sample whose info line was written. */
  sampleInfo: Map<string, string>;
}

/** Reads what earlier invocations left in a run directory, cutting torn last lines first. */
export async function readPriorState(dir: string, log: (m: string) => void): Promise<PriorState> {
  const paths = runPaths(dir);
  for (const path of [paths.predictions, paths.results, paths.sampleInfo]) {
    const repair = repairTail(path);
    if (repair.discardedBytes > 0) log(`${path}: discarded a torn last line (${repair.discardedBytes} bytes: ${JSON.stringify(repair.fragment.slice(0, 60))}...)`);
  }
  const answered = new Map<string, RunPrediction | undefined>();
  for await (const { value } of readJsonl<RunPrediction>(paths.predictions, { missingOk: true })) {
    const key = predictionKey(value.model, methodOf(value.attention), value.attention.compression, value.id);
    // Failed lines are history: their pairs are asked again.
    if (value.error === undefined) answered.set(key, value);
  }
  // A result scored by other scorers (an older longweave) counts as unscored: its pair is scored
  // again from the stored prediction, and sortResults keeps only the newer line.
  const stale = new Map<number, number>();
  for await (const { value } of readJsonl<RunResult>(paths.results, { missingOk: true })) {
    const key = predictionKey(value.model, value.method, value.compression, value.id);
    const version = (value as { scorerVersion?: number }).scorerVersion ?? 1;
    if (version !== SCORER_VERSION) stale.set(version, (stale.get(version) ?? 0) + 1);
    else if (answered.has(key)) answered.set(key, undefined);
  }
  for (const [version, n] of stale) log(`${paths.results}: ${n} results were scored by scorer version ${version}; re-scoring them with version ${SCORER_VERSION} from their stored predictions`);
  const sampleInfo = new Map<string, string>();
  for await (const { value } of readJsonl<SampleInfo>(paths.sampleInfo, { missingOk: true })) sampleInfo.set(value.id, value.task);
  return { answered, sampleInfo };
}
