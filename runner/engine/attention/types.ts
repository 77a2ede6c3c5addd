// The attention plug-in contract. The model graph hands each layer's projected queries, keys and
// values to one builder, which adds the nodes that attend and keep the KV cache; everything else in
// the graph is the same for every method. Sparse methods register here too.
import type { Dim, GraphBuilder } from '../onnx/graph-builder.js';
import type { OnnxElementType } from '../onnx/proto.js';
import type { ModelSpec } from '../checkpoint/config.js';

/** What a builder gets for one layer. Tensors are named values in the graph. */
export interface AttentionContext {
  graph: GraphBuilder;
  spec: ModelSpec;
  layer: number;
  /** `[1, S, numHeads * headDim]`, after q-norm, before RoPE. */
  query: string;
  /** `[1, S, numKvHeads * headDim]`, after k-norm, before RoPE. */
  key: string;
  /** `[1, S, numKvHeads * headDim]`. */
  value: string;
  /** Cache inputs `[1, numKvHeads, P, headDim]` (keys stored after RoPE). */
  pastKey: string;
  pastValue: string;
  /** Names the builder must give the new cache `[1, numKvHeads, P + S, headDim]`. */
  presentKey: string;
  presentValue: string;
  /** int32 `[1]`: P + S - 1 (GroupQueryAttention's convention). */
  seqlensK: string;
  /** int32 scalar: P + S. */
  totalSequenceLength: string;
  /** RoPE tables `[maxPositions, headDim / 2]` in the compute dtype, attention factor applied. */
  cosCache: string;
  sinCache: string;
  /** Method parameters after defaults. */
  params: Record<string, unknown>;
  /**
   * The longest prefill chunk (tokens) the graph serves, where it differs from the engine's default
   * 4096: graphs with a static number of attention passes (AttentionBuilder.chunked) size them to it.
   */
  prefillChunk?: number;
  /** The graph input of new tokens' positions (int64 `[1, S]`), declared on first use. */
  positionIds(): string;
  /** A scalar constant in the compute dtype. */
  scalar(value: number): string;
  /** The compute dtype of activations and the cache. */
  valueType: OnnxElementType;
  /** A graph input shared by all layers, declared on first use. */
  sharedInput(name: string, type: OnnxElementType, dims: readonly Dim[]): string;
  /**
   * A graph input of this layer (its name carries the layer, e.g. the frozen cache), declared on
   * first use. The one-layer harness (layer-graph.ts) gives its chained copies layer 0's input.
   */
  layerInput(name: string, type: OnnxElementType, dims: readonly Dim[]): string;
  /**
   * Reports a float32 scalar statistic of this layer's run (ATTENTION_STATS), e.g. the causal
   * query-key pairs a data-dependent method kept. The graph sums each statistic over its layers into
   * one output (`attention.stats.<name>`); absent where nothing collects it.
   */
  report?(name: AttentionStat, value: string): void;
}

/**
 * Statistics a builder can report (AttentionContext.report). `kept_pairs`: causal query-key pairs
 * attended by the chunk's rows, summed over query heads. `gathered_pairs`: the query-row x key slots
 * the attention computed, padding, masked and duplicate slots included (the executed work; at least
 * kept_pairs), summed over query heads.
 */
export type AttentionStat = 'kept_pairs' | 'gathered_pairs';

/** The engine's prefill chunk when none is given (tokens); fixed-pass graphs default to it. */
export const DEFAULT_PREFILL_CHUNK = 4096;

/** One attention method's graph builder. */
export interface AttentionBuilder {
  /** Method id as users name it (`dense`, `vertical-slash`, ...). */
  readonly id: string;
  /** Which phase the method is for. */
  readonly phase: 'prefill' | 'decode' | 'both';
  readonly description: string;
  /** The graph depends on the longest prefill chunk (AttentionContext.prefillChunk): static passes over its query blocks. */
  readonly chunked?: boolean;
  /**
   * Adds the layer's attention and returns the attended output `[1, S, numHeads * headDim]`.
   * Must also produce `presentKey` and `presentValue`.
   */
  build(ctx: AttentionContext): string;
  /**
   * Sparse methods: the int64 scalar graph inputs that carry a budget of runner/engine/sparse (its
   * `budgetFor` for a compression and length), so one graph serves every length and compression.
   * Methods with this hook are the ones the engine backend runs for `--attention`/`--decode-attention`.
   */
  budgetInputs?(budget: Record<string, number>): Record<string, number>;
}
