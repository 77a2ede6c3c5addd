// One generation as one session run of the generation graph (graph/generation-graph.ts): the
// prompt padded to the graph's layout, the budgets, stop and forced tokens as inputs; the generated
// tokens (and logits on request) as outputs. Nothing is kept between runs.
import * as ort from 'onnxruntime-node';
import { GENERATION_IO as io, DEFAULT_MLP_CHUNK, promptLayout } from '../graph/generation-graph.js';
import { statValue } from '../attention/stats.js';
import type { GenerateRequest, GenerateResult, LoadRequest } from './protocol.js';

const int64 = (values: readonly number[], dims: readonly number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), [...dims]);

/**
 * The feeds of one generation: the padded prompt and its layout, the token limit, stop and forced
 * tokens, and any attention inputs the graph declares.
 * @throws RangeError for an empty prompt or a token limit under 1.
 */
export function oneRunFeeds(request: Pick<GenerateRequest, 'promptIds' | 'maxNewTokens' | 'stopTokenIds' | 'forcedTokens' | 'attentionInputs'>, inputNames: readonly string[], mlpChunk = DEFAULT_MLP_CHUNK): Record<string, ort.Tensor> {
  const P = request.promptIds.length;
  if (!(Number.isInteger(request.maxNewTokens) && request.maxNewTokens >= 1)) throw new RangeError(`maxNewTokens must be a positive integer; got ${request.maxNewTokens}.`);
  const layout = promptLayout(P, mlpChunk);
  const ids = new BigInt64Array(layout.paddedLength);
  request.promptIds.forEach((t, i) => (ids[i] = BigInt(t)));
  const bias = new Float32Array(layout.paddedLength).fill(-Infinity).fill(0, 0, P);
  const forced = Array.from({ length: request.maxNewTokens }, (_, i) => request.forcedTokens?.[i] ?? -1);
  const feeds: Record<string, ort.Tensor> = {
    [io.inputIds]: new ort.Tensor('int64', ids, [1, layout.paddedLength]),
    [io.promptLength]: int64([P], [1]),
    [io.lastPosition]: int64([P - 1], [1]),
    [io.paddedLength]: int64([layout.paddedLength], [1]),
    [io.mlpChunks]: int64([layout.chunks], []),
    [io.mlpChunkShape]: int64([-1, layout.chunkRows, 0], [3]),
    [io.cacheBias]: new ort.Tensor('float32', bias, [1, 1, 1, layout.paddedLength]),
    [io.decodeSteps]: int64([request.maxNewTokens - 1], []),
    [io.stopTokenIds]: int64(request.stopTokenIds.length ? request.stopTokenIds : [-1], [Math.max(1, request.stopTokenIds.length)]),
    [io.forcedTokens]: int64(forced, [forced.length]),
    [io.seqlensK]: new ort.Tensor('int32', Int32Array.of(layout.paddedLength - 1), [1]),
    [io.totalSequenceLength]: new ort.Tensor('int32', Int32Array.of(layout.paddedLength), []),
  };
  if (inputNames.includes(io.positionIds)) feeds[io.positionIds] = new ort.Tensor('int64', BigInt64Array.from({ length: layout.paddedLength }, (_, i) => BigInt(i)), [1, layout.paddedLength]);
  // A sparse prefill method's view of the prompt: P tokens, padded back to Pp after it.
  const padding = layout.paddedLength - P;
  const prompt: Record<string, ort.Tensor> = {
    [io.promptSeqlensK]: new ort.Tensor('int32', Int32Array.of(P - 1), [1]),
    [io.promptTotalLength]: new ort.Tensor('int32', Int32Array.of(P), []),
    [io.promptRowPads]: int64([0, 0, 0, 0, padding, 0], [6]),
    [io.promptCachePads]: int64([0, 0, 0, 0, 0, 0, padding, 0], [8]),
  };
  for (const [name, tensor] of Object.entries(prompt)) if (inputNames.includes(name)) feeds[name] = tensor;
  for (const [name, value] of Object.entries(request.attentionInputs ?? {})) {
    if (inputNames.includes(name)) feeds[name] = int64([value], []);
  }
  for (const name of inputNames) if (!feeds[name]) throw new Error(`The generation graph's input "${name}" has no value.`);
  return feeds;
}

/**
 * Runs one generation. Logits on request need a graph built with them: every prompt position
 * (logits 'all') then one row per decode step, as the stepwise worker returns them; or, with step
 * logits only, the row each generated token was chosen from.
 * @throws Error when logits are asked of a graph that has none.
 */
export async function runOneGeneration(session: ort.InferenceSession, request: GenerateRequest, loaded: Pick<LoadRequest, 'mlpChunk'>): Promise<GenerateResult> {
  const hasStepLogits = session.outputNames.includes(io.stepLogits);
  const hasPromptLogits = session.outputNames.includes(io.promptLogits);
  if (request.returnLogits && !hasStepLogits) throw new Error('This one-run graph returns no logits; load the engine with stepLogits: true.');
  const feeds = oneRunFeeds(request, session.inputNames, loaded.mlpChunk);
  const started = performance.now();
  const statOutputs = session.outputNames.filter((name) => name.startsWith('attention.stats.'));
  const fetches = [io.tokens, ...statOutputs, ...(request.returnLogits ? [io.stepLogits, ...(hasPromptLogits ? [io.promptLogits] : [])] : [])];
  const out = await session.run(feeds, fetches);
  const generationMs = performance.now() - started;
  const tokens = Array.from(out[io.tokens]!.data as BigInt64Array, (t) => Number(t));
  const stops = new Set(request.stopTokenIds);
  const result: GenerateResult = {
    type: 'result',
    id: request.id,
    tokens,
    finishReason: stops.has(tokens.at(-1)!) ? 'stop' : 'length',
    timings: { generationMs, chunkMs: [], decodeMs: [] },
  };
  const keptPairs = statValue(out, 'kept_pairs');
  const gatheredPairs = statValue(out, 'gathered_pairs');
  if (keptPairs !== undefined) result.attentionStats = { keptPairs, ...(gatheredPairs !== undefined ? { gatheredPairs } : {}) };
  if (request.returnLogits) {
    const step = out[io.stepLogits]!;
    const vocab = step.dims[1]!;
    const rows = (t: ort.Tensor, from: number, to: number): Float32Array[] => Array.from({ length: to - from }, (_, i) => (t.data as Float32Array).slice((from + i) * vocab, (from + i + 1) * vocab));
    // With prompt logits: every prompt row, then the decode steps' rows (step row 0 is prompt row P - 1).
    result.logits = hasPromptLogits ? [...rows(out[io.promptLogits]!, 0, request.promptIds.length), ...rows(step, 1, tokens.length)] : rows(step, 0, tokens.length);
  }
  return result;
}
