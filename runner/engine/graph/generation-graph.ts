// A whole greedy generation as one ONNX graph, run once: prefill of the prompt, then an ONNX Loop
// that decodes one token per iteration until a stop token or the token limit. This is the CUDA
// runtime's form: onnxruntime-node can't keep a CUDA output on the GPU between runs (no IO binding,
// no GPU output location for CUDA), so a KV cache can only live inside one run
// (shared/notes/cuda-on-h100.md). The CPU provider runs the same graph (tests, CI).
//
//   input_ids [1, Pp] --embed--> layers (prefill attention: the method's builder, GroupQueryAttention
//     for dense; the MLP in row chunks by a Loop, so a 128k prompt never holds [Pp, 2 x mlp] at once)
//     --> present K/V per layer [1, kv, Pp, d] (the frozen prompt cache, read by every decode step)
//     --> final norm, row P-1 --> logits --> token 0 (forced or argmax)
//   Loop (trip count decode_steps, condition "last token is no stop token"):
//     carried: the last token, per layer the tail of generated keys/values [1, kv, t, d]
//     body: embed --> layers (decode attention over frozen prompt + tail, see `decodeAttention`)
//           --> logits --> next token (forced or argmax) --> scan outputs (token, logits on request)
//   tokens = token 0 ++ scan tokens
//
// The prompt is padded at the end to Pp (a multiple of the MLP chunk, itself a multiple of 256
// tokens): causal attention keeps real positions blind to the padding, and decode steps mask the
// padded keys with `cache_bias`. Weights are the stepwise graph's, written in the same order, so the
// graph cache stores them once for both forms.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder, graph, int, tensor, type Dim } from '../onnx/graph-builder.js';
import { encodeModel, type OnnxElementType } from '../onnx/proto.js';
import type { ModelSpec } from '../checkpoint/config.js';
import type { WeightSource } from '../checkpoint/checkpoint.js';
import { attentionMethod } from '../attention/registry.js';
import type { AttentionContext } from '../attention/types.js';
import { stateSpec, type AttentionStateSpec } from '../attention/quest-state.js';
import { statCollector } from '../attention/stats.js';
import { LOOP_BLOCK, loopDecodeMethod, type LoopLayerState } from '../attention/loop-decode.js';
import { kernelPrefill } from '../attention/kernel-prefill.js';
import { WeightFileWriter } from './weight-file.js';
import { DecoderEmitter, ropeTableInputs, scalarConstant, type ResidualStream } from './decoder.js';
import type { BuiltGraph, GraphSettings } from './model-graph.js';

/** Padding granularity of the prompt (tokens): the decode steps' P V runs over blocks of this size. */
export const GENERATION_BLOCK = LOOP_BLOCK;

/** Rows of an MLP chunk by default (tokens; a multiple of GENERATION_BLOCK). */
export const DEFAULT_MLP_CHUNK = 4096;

/** Names of the one-run graph's inputs and outputs, shared with the session worker. */
export const GENERATION_IO = {
  /** int64 `[1, Pp]`: the prompt, padded at the end to `padded_length`. */
  inputIds: 'input_ids',
  /** int64 `[1]`: P, the prompt's own length. */
  promptLength: 'prompt_length',
  /** int64 `[1]`: P - 1, the row whose logits give the first token. */
  lastPosition: 'last_position',
  /** int64 `[1]`: Pp. */
  paddedLength: 'padded_length',
  /** int64 scalar: MLP chunks of the prefill (Pp / mlp_chunk). */
  mlpChunks: 'mlp_chunks',
  /** int64 `[3]`: the prompt's hidden states as MLP chunks, `[-1, rows of a chunk, 0]` (a Reshape target). */
  mlpChunkShape: 'mlp_chunk_shape',
  /** float32 `[1, 1, 1, Pp]`: 0 at prompt positions, -inf at padding (added to decode scores). */
  cacheBias: 'cache_bias',
  /** int64 scalar: decode iterations at most (max new tokens - 1). */
  decodeSteps: 'decode_steps',
  /** int64 `[n >= 1]`: stop tokens (-1 for none). */
  stopTokenIds: 'stop_token_ids',
  /** int64 `[max new tokens]`: token i is forced where >= 0, else the argmax. */
  forcedTokens: 'forced_tokens',
  /** GroupQueryAttention's prefill lengths (int32): Pp - 1 and Pp. */
  seqlensK: 'seqlens_k',
  totalSequenceLength: 'total_sequence_length',
  /** Prefill positions (int64 `[1, Pp]`), declared when a prefill method asks for them. */
  positionIds: 'position_ids',
  /** Sparse prefill methods, which see the P prompt tokens only: P - 1 and P (int32). */
  promptSeqlensK: 'prompt_seqlens_k',
  promptTotalLength: 'prompt_total_sequence_length',
  /** int64 `[4]`: `[1, kv, Pp, d]`, the shape of an in-graph cache buffer (fused SparseAttention). */
  promptCacheShape: 'prompt_cache_shape',
  /** int64 `[6]` and `[8]`: Pad's pads from P rows back to Pp, of `[1, rows, width]` and `[1, kv, rows, d]`. */
  promptRowPads: 'prompt_row_pads',
  promptCachePads: 'prompt_cache_pads',
  /** int64 `[N]`: the generated tokens, a stop token included as the last. */
  tokens: 'tokens',
  /** float32 `[N, vocab]` (generation.stepLogits): the logits each token was chosen from. */
  stepLogits: 'step_logits',
  /** float32 `[1, Pp, vocab]` (logits 'all'): every prompt position's logits. */
  promptLogits: 'logits',
} as const;

/** How the worker pads a prompt of `promptLength` tokens for a graph whose MLP chunk is `mlpChunk`. */
export interface PromptLayout {
  paddedLength: number;
  chunks: number;
  chunkRows: number;
}

/**
 * The padded length and MLP chunks of a prompt: as few chunks of at most `mlpChunk` rows as cover
 * it, each rounded up to whole 256-token blocks (so the padding is under 256 tokens a chunk).
 * @example promptLayout(4097, 4096) // { paddedLength: 4608, chunks: 2, chunkRows: 2304 }
 */
export function promptLayout(promptLength: number, mlpChunk = DEFAULT_MLP_CHUNK): PromptLayout {
  if (!(Number.isInteger(promptLength) && promptLength > 0)) throw new RangeError(`Prompt length must be a positive integer; got ${promptLength}.`);
  const chunks = Math.ceil(promptLength / mlpChunk);
  const chunkRows = Math.ceil(Math.ceil(promptLength / chunks) / GENERATION_BLOCK) * GENERATION_BLOCK;
  return { paddedLength: chunks * chunkRows, chunks, chunkRows };
}

/** RoPE rows a graph serving `maxLength` tokens needs: the padded prompt may run past maxLength. */
export function generationTablePositions(maxLength: number, mlpChunk = DEFAULT_MLP_CHUNK): number {
  return maxLength + GENERATION_BLOCK * Math.ceil(maxLength / mlpChunk);
}

/** MLP chunk rows of a graph's settings. @throws RangeError unless a positive multiple of 256. */
export function mlpChunkOf(settings: Pick<GraphSettings, 'prefillChunk'>): number {
  const chunk = settings.prefillChunk ?? DEFAULT_MLP_CHUNK;
  if (!(Number.isInteger(chunk) && chunk > 0 && chunk % GENERATION_BLOCK === 0)) {
    throw new RangeError(`The one-run graph's MLP chunk must be a positive multiple of ${GENERATION_BLOCK} tokens; got ${chunk}.`);
  }
  return chunk;
}

/**
 * Writes the one-run generation graph (`model.onnx`, `weights.bin`, `tables.bin`) into `dir`.
 * @throws Error for a prefill method the one-run graph can't serve, or a missing tensor.
 * @example buildGenerationGraph(spec, weights, { precision: 'fp16', logits: 'last', attention: { method: 'dense' }, maxPositions: 32768, generation: {} }, dir)
 */
export function buildGenerationGraph(spec: ModelSpec, source: WeightSource, settings: GraphSettings, dir: string): BuiltGraph {
  const io = GENERATION_IO;
  const method = attentionMethod(settings.attention.method);
  if (method.id !== 'dense' && (method.phase === 'decode' || !method.budgetInputs)) {
    throw new Error(`The one-run generation graph runs dense prefill attention or a sparse prefill method; got "${method.id}".`);
  }
  const decodeMethod = loopDecodeMethod(settings.generation?.decode?.method ?? 'dense');
  const decodeParams = settings.generation?.decode?.params ?? {};
  if (settings.layers) throw new Error('The one-run generation graph has no prefill stages (it keeps every layer in one run).');
  const ot: OnnxElementType = settings.precision === 'fp16' ? 'float16' : 'float';
  const kv = spec.numKvHeads;
  const d = spec.headDim;
  const mlpChunk = mlpChunkOf(settings);
  const g = new GraphBuilder('weights.bin');
  const writer = new WeightFileWriter(join(dir, 'weights.bin'));
  const tablesWriter = new WeightFileWriter(join(dir, 'tables.bin'));
  try {
    const decoder = new DecoderEmitter(g, spec, source, writer, settings);
    const inputIds = g.input(io.inputIds, 'int64', [1, 'padded']);
    const promptLength = g.input(io.promptLength, 'int64', [1]);
    const lastPosition = g.input(io.lastPosition, 'int64', [1]);
    const paddedLength = g.input(io.paddedLength, 'int64', [1]);
    const mlpChunks = g.input(io.mlpChunks, 'int64', []);
    const chunkShape = g.input(io.mlpChunkShape, 'int64', [3]);
    const cacheBias = g.input(io.cacheBias, 'float', [1, 1, 1, 'padded']);
    const decodeSteps = g.input(io.decodeSteps, 'int64', []);
    const stops = g.input(io.stopTokenIds, 'int64', ['stops']);
    const forced = g.input(io.forcedTokens, 'int64', ['max_new_tokens']);
    const seqlensK = g.input(io.seqlensK, 'int32', [1]);
    const total = g.input(io.totalSequenceLength, 'int32', []);
    const { cosCache, sinCache } = ropeTableInputs(g, spec, { precision: settings.precision, maxPositions: generationTablePositions(settings.maxPositions, mlpChunk) }, tablesWriter);
    const scalar = scalarConstant(g, settings.precision);
    let positionIds: string | null = null;
    const shared = new Map<string, string>();
    const states: AttentionStateSpec[] = [];
    const stats = statCollector(g);

    // Prefill: every layer over the padded prompt, the MLP in chunks of rows.
    const chunkedMlp = (layer: number) => (h: string, block: (graph: GraphBuilder, x: string) => string): string => {
      const rows = g.op('Reshape', [h, chunkShape]);
      const body = g.subgraph(`mlp_chunks_${layer}`);
      const iteration = body.input(body.unique('mlp_iter'), 'int64', []);
      const condition = body.input(body.unique('mlp_cond'), 'bool', []);
      const out = block(body, body.op('Gather', [rows, iteration], { axis: int(0) }));
      body.output(condition, body.unique('mlp_cond_out'), 'bool', []);
      body.output(out, body.unique('mlp_rows'), ot, ['rows', spec.hiddenSize]);
      const [scanned] = g.node('Loop', [mlpChunks, ''], { body: graph(body) }, { outputs: 1, name: `mlp_loop_${layer}` });
      return g.op('Reshape', [scanned!, g.int64([1, -1, spec.hiddenSize])]);
    };
    const stream: ResidualStream = { residual: decoder.embed(g, inputIds), pendingAdd: null };
    const sharedInput = (name: string, type: OnnxElementType, dims: readonly Dim[]): string => {
      let declared = shared.get(name);
      if (!declared) {
        shared.set(name, (declared = g.input(name, type, dims)));
        const state = stateSpec(name, type, dims);
        if (state) states.push(state);
      }
      return declared;
    };
    // A sparse prefill method sees exactly the prompt's P tokens (padded rows would enter its
    // selection: pooled blocks, the last queries' estimates), through its own builder with an empty
    // past; its output and cache are padded back to Pp rows.
    const sparse = method.id !== 'dense';
    // The fused SparseAttention kernel where the runtime has it and the method and setting fit it
    // (Block-Sparse, A-shape's block form: attention/kernel-prefill.ts).
    const kernel = settings.generation?.kernels?.sparseAttention === true ? kernelPrefill(method.id, d, settings.attention.params ?? {}) : null;
    const cacheShape = kernel ? g.input(io.promptCacheShape, 'int64', [4]) : null;
    const promptInputs = sparse
      ? {
          seqlensK: g.input(io.promptSeqlensK, 'int32', [1]),
          total: g.input(io.promptTotalLength, 'int32', []),
          rowPads: g.input(io.promptRowPads, 'int64', [6]),
          cachePads: g.input(io.promptCachePads, 'int64', [8]),
          emptyCache: g.inline('empty_cache', ot, [1, kv, 0, d], new Uint8Array(0)),
        }
      : null;
    const promptRows = (x: string, axis = 1): string => g.op('Slice', [x, g.int64([0]), promptLength, g.int64([axis])]);
    // What each layer's decode steps read, prepared from its prompt cache by the decode method.
    const decodeStates: LoopLayerState[] = [];
    const prepareDecode = (layer: number, query: string, cacheKey: string, cacheValue: string): LoopLayerState =>
      decodeMethod.prepare({
        graph: g,
        spec,
        layer,
        promptKey: cacheKey,
        promptValue: cacheValue,
        promptQuery: query,
        promptLength,
        paddedLength,
        cacheBias,
        cosCache,
        sinCache,
        valueType: ot,
        params: decodeParams,
        budgetInput: (name) => sharedInput(name, 'int64', []),
      });
    for (let layer = 0; layer < spec.numLayers; layer++) {
      decoder.layer(g, layer, stream, ({ query, key, value }) => {
        const cacheKey = g.unique(`prompt_cache.${layer}.key`);
        const cacheValue = g.unique(`prompt_cache.${layer}.value`);
        const context: AttentionContext = {
          graph: g,
          spec,
          layer,
          query: promptInputs ? promptRows(query) : query,
          key: promptInputs ? promptRows(key) : key,
          value: promptInputs ? promptRows(value) : value,
          pastKey: promptInputs?.emptyCache ?? '',
          pastValue: promptInputs?.emptyCache ?? '',
          presentKey: promptInputs ? g.unique(`prompt_sparse.${layer}.key`) : cacheKey,
          presentValue: promptInputs ? g.unique(`prompt_sparse.${layer}.value`) : cacheValue,
          seqlensK: promptInputs?.seqlensK ?? seqlensK,
          totalSequenceLength: promptInputs?.total ?? total,
          cosCache,
          sinCache,
          params: settings.attention.params ?? {},
          // Sparse methods' chunk is the whole prompt: fixed passes sized to the longest.
          ...(sparse ? { prefillChunk: generationTablePositions(settings.maxPositions, mlpChunk) } : {}),
          positionIds: () => {
            positionIds ??= g.input(io.positionIds, 'int64', [1, 'padded']);
            return promptInputs ? promptRows(positionIds) : positionIds;
          },
          scalar,
          valueType: ot,
          sharedInput,
          layerInput: (name: string, type: OnnxElementType, dims: readonly Dim[]) => g.input(name, type, dims),
          report: stats.report,
        };
        if (cacheShape) {
          // One zeroed buffer per layer and per cache, filled in place by the kernel; no padding back.
          const zeros = (): string => g.op('ConstantOfShape', [cacheShape], { value: tensor(ot, [1], new Uint8Array(ot === 'float16' ? 2 : 4)) });
          const kernelContext = { ...context, pastKey: zeros(), pastValue: zeros(), presentKey: cacheKey, presentValue: cacheValue };
          const attended = g.op('Pad', [kernel!(kernelContext), promptInputs!.rowPads]);
          decodeStates.push(prepareDecode(layer, query, cacheKey, cacheValue));
          return attended;
        }
        let attended = method.build(context);
        if (promptInputs) {
          attended = g.op('Pad', [attended, promptInputs.rowPads]);
          g.node('Pad', [context.presentKey, promptInputs.cachePads], {}, { outputs: [cacheKey] });
          g.node('Pad', [context.presentValue, promptInputs.cachePads], {}, { outputs: [cacheValue] });
        }
        decodeStates.push(prepareDecode(layer, query, cacheKey, cacheValue));
        return attended;
      }, chunkedMlp(layer));
    }
    const promptHidden = decoder.finalNorm(g, stream);
    const stepLogits = settings.generation?.stepLogits === true;
    let firstLogits: string;
    if (settings.logits === 'all') {
      const all = decoder.head(g, promptHidden);
      g.output(all, io.promptLogits, 'float', [1, 'padded', spec.vocabSize]);
      firstLogits = g.op('Gather', [all, lastPosition], { axis: int(1) });
    } else {
      firstLogits = decoder.head(g, g.op('Gather', [promptHidden, lastPosition], { axis: int(1) }));
    }
    const vocabRow = g.int64([1, spec.vocabSize]);
    // A token from a logits row [1, 1, V]: forced[index] when >= 0, else the argmax; and whether it is no stop token.
    const choose = (graphOf: GraphBuilder, logits: string, forcedIndex: string): { token: string; go: string } => {
      const argmax = graphOf.op('ArgMax', [graphOf.op('Reshape', [logits, vocabRow])], { axis: int(1), keepdims: int(0) });
      const pinned = graphOf.op('Gather', [forced, forcedIndex], { axis: int(0) });
      const token = graphOf.op('Where', [graphOf.op('Greater', [pinned, graphOf.int64([-1])]), pinned, argmax]);
      const isStop = graphOf.op('ReduceMax', [graphOf.op('Cast', [graphOf.op('Equal', [token, stops])], { to: int(1) })], { keepdims: int(0) });
      return { token, go: graphOf.op('Less', [isStop, float32(graphOf, 0.5)]) };
    };
    const first = choose(g, firstLogits, g.int64([0]));

    // Decoding: one token per Loop iteration.
    const body = g.subgraph('decode_step');
    const iteration = body.input(body.unique('decode_iter'), 'int64', []);
    body.input(body.unique('decode_cond'), 'bool', []);
    const tokenIn = body.input(body.unique('decode_token'), 'int64', [1]);
    const tailsIn = Array.from({ length: spec.numLayers }, (_, layer) => ({
      key: body.input(body.unique(`tail_key_${layer}`), ot, [1, kv, 'tail', d]),
      value: body.input(body.unique(`tail_value_${layer}`), ot, [1, kv, 'tail', d]),
    }));
    const position = body.op('Reshape', [body.op('Add', [promptLength, iteration]), body.int64([1, 1])]);
    const newPosition = body.op('Reshape', [position, body.int64([1])]);
    const step: ResidualStream = { residual: decoder.embed(body, body.op('Reshape', [tokenIn, body.int64([1, 1])])), pendingAdd: null };
    const tailsOut: { key: string; value: string }[] = [];
    for (let layer = 0; layer < spec.numLayers; layer++) {
      decoder.layer(body, layer, step, (p) => {
        // RoPE at the new position; the new key and value join the carried tail.
        const rotate = (x: string, heads: number): string => body.op('RotaryEmbedding', [x, position, cosCache, sinCache], { interleaved: int(0), num_heads: int(heads) }, 'com.microsoft');
        const query = body.op('Reshape', [rotate(p.query, spec.numHeads), body.int64([1, kv, spec.numHeads / kv, d])]);
        const tailKey = body.op('Concat', [tailsIn[layer]!.key, body.op('Reshape', [rotate(p.key, kv), body.int64([1, kv, 1, d])])], { axis: int(2) });
        const tailValue = body.op('Concat', [tailsIn[layer]!.value, body.op('Reshape', [p.value, body.int64([1, kv, 1, d])])], { axis: int(2) });
        tailsOut.push({ key: tailKey, value: tailValue });
        const attended = decodeMethod.attend({ graph: body, spec, layer, query, tailKey, tailValue, position: newPosition, iteration, state: decodeStates[layer]!, valueType: ot, params: decodeParams });
        return body.op('Reshape', [attended, body.int64([1, 1, spec.numHeads * d])]);
      });
    }
    const stepRowLogits = decoder.head(body, decoder.finalNorm(body, step));
    const next = choose(body, stepRowLogits, body.op('Reshape', [body.op('Add', [iteration, body.int64([1], [])]), body.int64([1])]));
    body.output(next.go, body.unique('decode_go'), 'bool', []);
    body.output(next.token, body.unique('decode_token_out'), 'int64', [1]);
    for (const [layer, tail] of tailsOut.entries()) {
      body.output(tail.key, body.unique(`tail_key_out_${layer}`), ot, [1, kv, 'tail_next', d]);
      body.output(tail.value, body.unique(`tail_value_out_${layer}`), ot, [1, kv, 'tail_next', d]);
    }
    body.output(next.token, body.unique('decode_token_scan'), 'int64', [1]);
    if (stepLogits) body.output(body.op('Reshape', [stepRowLogits, vocabRow]), body.unique('decode_logits_scan'), 'float', [1, spec.vocabSize]);
    const emptyTail = g.inline('empty_tail', ot, [1, kv, 0, d], new Uint8Array(0));
    const carriedCount = 1 + 2 * spec.numLayers;
    const loopOutputs = g.node(
      'Loop',
      [decodeSteps, first.go, first.token, ...tailsIn.flatMap(() => [emptyTail, emptyTail])],
      { body: graph(body) },
      { outputs: carriedCount + (stepLogits ? 2 : 1), name: 'decode_loop' },
    );
    const scannedTokens = loopOutputs[carriedCount]!;
    g.output(g.op('Concat', [first.token, g.op('Reshape', [scannedTokens, g.int64([-1])])], { axis: int(0) }), io.tokens, 'int64', ['generated']);
    if (stepLogits) {
      const rows = g.op('Concat', [g.op('Reshape', [firstLogits, vocabRow]), g.op('Reshape', [loopOutputs[carriedCount + 1]!, g.int64([-1, spec.vocabSize])])], { axis: int(0) });
      g.output(rows, io.stepLogits, 'float', ['generated', spec.vocabSize]);
    }
    stats.finish();
    const modelFile = join(dir, 'model.onnx');
    writeFileSync(modelFile, encodeModel(g.toModel({ attention: settings.attention.method, decode_attention: decodeMethod.id, precision: settings.precision, matmul_precision: decoder.fp32Matmul ? 'fp32' : settings.precision, generation: 'one-run' })));
    return {
      modelFile,
      weightsFile: writer.path,
      weightBytes: writer.size,
      weightsDigest: writer.digest(),
      nodeCount: g.nodeCount,
      opCounts: Object.fromEntries(g.opCounts),
      states,
    };
  } finally {
    writer.close();
    tablesWriter.close();
  }
}

/** A float32 scalar constant. */
function float32(g: GraphBuilder, value: number): string {
  return g.inline('c_f32', 'float', [], new Uint8Array(Float32Array.of(value).buffer));
}
