// The decoder as one ONNX graph that serves prefill chunks and decode steps alike (S new tokens on
// top of a P-token cache), so one session holds the weights once. Layout per layer:
//   norm -> fused QKV MatMul (+bias) -> [q/k RMSNorm] -> attention plug-in -> o_proj
//   -> residual + norm (SkipSimplifiedLayerNormalization) -> fused gate/up MatMul -> SiLU * up -> down
// Weights go to an external data file; small constants stay inline.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder, int, ints, type Dim } from '../onnx/graph-builder.js';
import { encodeModel, type OnnxElementType } from '../onnx/proto.js';
import type { ModelSpec } from '../checkpoint/config.js';
import type { WeightSource } from '../checkpoint/checkpoint.js';
import { attentionMethod } from '../attention/registry.js';
import type { AttentionContext } from '../attention/types.js';
import { rotary } from '../attention/rotary.js';
import { attentionState, stateSpec, type AttentionStateSpec } from '../attention/quest-state.js';
import { statCollector } from '../attention/stats.js';
import { SNAPKV_IO } from '../attention/snapkv-io.js';
import { WeightFileWriter } from './weight-file.js';
import { DecoderEmitter, ropeTableInputs, scalarConstant, type Precision, type ResidualStream } from './decoder.js';
import { buildGenerationGraph } from './generation-graph.js';

export type { Precision };

/** Everything besides the checkpoint that changes a graph. */
export interface GraphSettings {
  precision: Precision;
  /** Logits of the last position only (generation) or of every position (tests). */
  logits: 'last' | 'all';
  /** Attention method id and its parameters. */
  attention: { method: string; params?: Record<string, unknown> };
  /** Rows of the RoPE tables: the longest context the graph will serve. */
  maxPositions: number;
  /** The longest prefill chunk when not the default 4096 (AttentionContext.prefillChunk; set for `chunked` methods only). */
  prefillChunk?: number;
  /**
   * A stage of a prefill split into several graphs (EngineOptions.prefillStages): layers from..to-1
   * only. A stage after the first takes the residual stream as `hidden_in` instead of token ids; a
   * stage before the last outputs it as `hidden_out` instead of logits.
   */
  layers?: { from: number; to: number };
  /**
   * Precision of the final projection to the vocabulary. `fp32` (with fp16 elsewhere) keeps the
   * long fp16 reduction that makes the logits out of the largest MatMul, at the cost of a weight
   * copy twice as large (1.1 GB more for Qwen2.5-7B).
   */
  headPrecision?: Precision;
  /**
   * Keep each layer's last `windowQueries` rotated queries of the prompt as the attention state
   * `window_query` (`[1, kv, w, group x headDim]`, w = min(windowQueries, tokens so far)), carried
   * across prefill chunks: SnapKV's observation window (attention/snapkv.ts).
   */
  windowQueries?: number;
  /**
   * Precision of the weight MatMuls in fp16 graphs. `fp32` casts activations and (at run time) the
   * fp16 weights to fp32 around each projection: onnxruntime's WebGPU MatMul accumulates in fp16
   * (measured on the H100: 40x the fp16 rounding error at K = 3584, 95x at K = 18944; fp32 exact
   * and as fast at prefill sizes; scripts/gpu-matmul-precision.ts). The weights stay fp16 in memory
   * only if the session does not constant-fold the casts (LoadRequest.runtimeWeightCasts).
   */
  matmulPrecision?: Precision;
  /**
   * A one-run generation graph (graph/generation-graph.ts) instead of the stepwise one: prefill and
   * greedy decoding in one session run. `stepLogits` adds the logits of every generated token
   * (`step_logits`), for checks against a reference; `logits: 'all'` also those of every prompt position.
   * `decode` is the Loop's decode method (attention/loop-decode.ts; default dense).
   */
  generation?: {
    stepLogits?: boolean;
    decode?: { method: string; params?: Record<string, unknown> };
    /**
     * Fused kernels the runtime has (runtime/profile.ts): `sparseAttention` runs Block-Sparse (blocks
     * of 64) and A-shape's block form (params.granularity 'block') through com.microsoft
     * SparseAttention (attention/kernel-prefill.ts), whose past and present cache must be one buffer:
     * the graph gives each layer an in-graph one (a session can update it in place on CUDA).
     */
    kernels?: { sparseAttention?: boolean };
  };
}

/** Whether a graph casts its fp16 weights at run time (its session must not constant-fold them). */
export const runtimeWeightCasts = (settings: Pick<GraphSettings, 'precision' | 'matmulPrecision'>): boolean => settings.precision === 'fp16' && settings.matmulPrecision === 'fp32';

/** Names of the graph's inputs and outputs, shared with the session code. */
export const GRAPH_IO = {
  inputIds: 'input_ids',
  seqlensK: 'seqlens_k',
  totalSequenceLength: 'total_sequence_length',
  positionIds: 'position_ids',
  logits: 'logits',
  pastKey: (layer: number) => `past_key_values.${layer}.key`,
  pastValue: (layer: number) => `past_key_values.${layer}.value`,
  presentKey: (layer: number) => `present.${layer}.key`,
  presentValue: (layer: number) => `present.${layer}.value`,
  /** The residual stream between the stages of a split prefill (GraphSettings.layers). */
  hiddenIn: 'hidden_in',
  hiddenOut: 'hidden_out',
} as const;

/** What building a graph produced. */
export interface BuiltGraph {
  modelFile: string;
  weightsFile: string;
  weightBytes: number;
  /** SHA-256 of weights.bin (graphs with the same weights share one copy in the graph cache). */
  weightsDigest: string;
  nodeCount: number;
  opCounts: Record<string, number>;
  /** Per-layer attention states the session threads from step to step (attention/quest-state.ts). */
  states: AttentionStateSpec[];
}

/** The last `window` rotated queries, appended to the `window_query` state (GraphSettings.windowQueries). */
function windowState(ctx: AttentionContext, window: number, positions: string): void {
  if (!Number.isInteger(window) || window < 1) throw new Error(`windowQueries must be a positive integer; got ${window}.`);
  const { graph: g, spec } = ctx;
  const kv = spec.numKvHeads;
  const width = (spec.numHeads / kv) * spec.headDim;
  const state = attentionState(ctx, SNAPKV_IO.windowState, [1, kv, 'window_rows', width]);
  const last = (x: string, axis: number): string => g.op('Slice', [x, g.int64([-window]), g.int64([Number.MAX_SAFE_INTEGER]), g.int64([axis])]);
  const rotated = rotary(ctx, last(positions, 1), last(ctx.query, 1), spec.numHeads);
  const rows = g.op('Transpose', [g.op('Reshape', [rotated, g.int64([1, -1, kv, width])])], { perm: ints([0, 2, 1, 3]) });
  state.update(last(g.op('Concat', [state.value, rows], { axis: int(2) }), 2));
}

/**
 * Writes `model.onnx`, `weights.bin` (the checkpoint's tensors) and `tables.bin` (RoPE tables) into `dir`.
 * @throws Error naming a missing tensor or an unknown attention method.
 * @example buildModelGraph(ckpt.spec, ckpt.weights, { precision: 'fp32', logits: 'all', attention: { method: 'dense' }, maxPositions: 4096 }, '/tmp/g')
 */
export function buildModelGraph(spec: ModelSpec, source: WeightSource, settings: GraphSettings, dir: string): BuiltGraph {
  if (settings.generation) return buildGenerationGraph(spec, source, settings, dir);
  const method = attentionMethod(settings.attention.method);
  const ot: OnnxElementType = settings.precision === 'fp16' ? 'float16' : 'float';
  const g = new GraphBuilder('weights.bin');
  const writer = new WeightFileWriter(join(dir, 'weights.bin'));
  // Tables that depend on the graph's settings (RoPE over maxPositions) go to their own file, so
  // that weights.bin is the same for every graph of a checkpoint at one precision.
  const tablesWriter = new WeightFileWriter(join(dir, 'tables.bin'));
  try {
    const d = spec.hiddenSize;
    const decoder = new DecoderEmitter(g, spec, source, writer, settings);
    const from = settings.layers?.from ?? 0;
    const to = settings.layers?.to ?? spec.numLayers;
    if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from < to && to <= spec.numLayers)) {
      throw new Error(`Graph layers ${from}..${to} are not a range of the model's ${spec.numLayers} layers.`);
    }
    const seqlensK = g.input(GRAPH_IO.seqlensK, 'int32', [1]);
    const total = g.input(GRAPH_IO.totalSequenceLength, 'int32', []);
    const { cosCache, sinCache } = ropeTableInputs(g, spec, settings, tablesWriter);
    const x = from === 0 ? decoder.embed(g, g.input(GRAPH_IO.inputIds, 'int64', [1, 'sequence'])) : g.input(GRAPH_IO.hiddenIn, ot, [1, 'sequence', d]);

    let positionIds: string | null = null;
    const positionInput = (): string => (positionIds ??= g.input(GRAPH_IO.positionIds, 'int64', [1, 'sequence']));
    const scalar = scalarConstant(g, settings.precision);
    const shared = new Map<string, string>();
    const states: AttentionStateSpec[] = [];
    const sharedInput = (name: string, type: OnnxElementType, dims: readonly Dim[]): string => {
      let declared = shared.get(name);
      if (!declared) {
        declared = g.input(name, type, dims);
        shared.set(name, declared);
        const state = stateSpec(name, type, dims);
        if (state) states.push(state);
      }
      return declared;
    };
    const stats = statCollector(g);
    const layerInputs = new Map<string, string>();
    const layerInput = (name: string, type: OnnxElementType, dims: readonly Dim[]): string => {
      let declared = layerInputs.get(name);
      if (!declared) layerInputs.set(name, (declared = g.input(name, type, dims)));
      return declared;
    };
    const stream: ResidualStream = { residual: x, pendingAdd: null };

    for (let layer = from; layer < to; layer++) {
      decoder.layer(g, layer, stream, ({ query, key, value }) => {
        const pastKey = g.input(GRAPH_IO.pastKey(layer), ot, [1, spec.numKvHeads, 'past_sequence', spec.headDim]);
        const pastValue = g.input(GRAPH_IO.pastValue(layer), ot, [1, spec.numKvHeads, 'past_sequence', spec.headDim]);
        const context: AttentionContext = {
          graph: g,
          spec,
          layer,
          query,
          key,
          value,
          pastKey,
          pastValue,
          presentKey: GRAPH_IO.presentKey(layer),
          presentValue: GRAPH_IO.presentValue(layer),
          seqlensK,
          totalSequenceLength: total,
          cosCache,
          sinCache,
          params: settings.attention.params ?? {},
          ...(settings.prefillChunk !== undefined ? { prefillChunk: settings.prefillChunk } : {}),
          positionIds: positionInput,
          scalar,
          valueType: ot,
          sharedInput,
          layerInput,
          report: stats.report,
        };
        const attended = method.build(context);
        if (settings.windowQueries !== undefined) windowState(context, settings.windowQueries, positionInput());
        g.output(GRAPH_IO.presentKey(layer), GRAPH_IO.presentKey(layer), ot, [1, spec.numKvHeads, 'total_sequence', spec.headDim]);
        g.output(GRAPH_IO.presentValue(layer), GRAPH_IO.presentValue(layer), ot, [1, spec.numKvHeads, 'total_sequence', spec.headDim]);
        return attended;
      });
    }

    if (to < spec.numLayers) {
      // A stage before the last: hand on the residual stream (with the last MLP's output added).
      const hidden = decoder.flush(g, stream);
      stats.finish();
      g.output(hidden, GRAPH_IO.hiddenOut, ot, [1, 'sequence', d]);
      return writeModel();
    }
    let finalHidden = decoder.finalNorm(g, stream);
    if (settings.logits === 'last') {
      finalHidden = g.op('Slice', [finalHidden, g.int64([-1]), g.int64([Number.MAX_SAFE_INTEGER]), g.int64([1])]);
    }
    const logits = decoder.head(g, finalHidden);
    stats.finish();
    g.output(logits, GRAPH_IO.logits, 'float', [1, settings.logits === 'last' ? 1 : 'sequence', spec.vocabSize]);
    return writeModel();

    function writeModel(): BuiltGraph {
      const modelFile = join(dir, 'model.onnx');
      writeFileSync(modelFile, encodeModel(g.toModel({ attention: settings.attention.method, precision: settings.precision, matmul_precision: decoder.fp32Matmul ? 'fp32' : settings.precision })));
      return {
        modelFile,
        weightsFile: writer.path,
        weightBytes: writer.size,
        weightsDigest: writer.digest(),
        nodeCount: g.nodeCount,
        opCounts: Object.fromEntries(g.opCounts),
        states,
      };
    }
  } finally {
    writer.close();
    tablesWriter.close();
  }
}
