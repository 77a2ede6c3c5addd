// The decoder's parts as graph fragments, shared by the stepwise graph (model-graph.ts: one run per
// prefill chunk or decode step) and the one-run generation graph (generation-graph.ts: prefill and a
// decoding Loop in one run). A part can be emitted into the root graph or into a subgraph (a Loop
// body); weights are written once, in a fixed order, and a second emission of the same layer reads
// the same initializers. The order matters: every graph of a checkpoint at one precision writes a
// byte-identical weights.bin, which the graph cache stores once.
//
// One layer (`layer`):
//   residual --SimplifiedLayerNormalization / SkipSimplifiedLayerNormalization(pending MLP add)--> h
//   h --MatMul qkv_proj (+bias)--> Split q, k, v --[q/k RMSNorm per head]--> attend(q, k, v) --> a
//   a --MatMul o_proj (+bias)--> pending add --SkipSimplifiedLayerNormalization--> h2
//   h2 --mlp: MatMul gate_up_proj, Split, SiLU(gate) * up, MatMul down_proj--> pending add
import { float, int, type GraphBuilder } from '../onnx/graph-builder.js';
import type { OnnxElementType } from '../onnx/proto.js';
import type { ModelSpec } from '../checkpoint/config.js';
import type { WeightSource } from '../checkpoint/checkpoint.js';
import { floatToHalf, type ElementType } from '../dtype.js';
import { ropeTables } from '../rope.js';
import type { WeightFileWriter } from './weight-file.js';
import { EMBED, FINAL_NORM, LM_HEAD, layerNames, packBias, packLinear, readConverted } from './weight-layout.js';

/** Numeric precision of a graph: fp16 on GPUs, fp32 on the CPU provider. */
export type Precision = 'fp32' | 'fp16';

/** The residual stream between parts: the running sum and an addend (the last MLP's output) not yet added. */
export interface ResidualStream {
  residual: string;
  pendingAdd: string | null;
}

/** What the attention callback of `layer` gets: the layer's projected q, k, v (after q/k norm, before RoPE). */
export interface LayerProjections {
  graph: GraphBuilder;
  layer: number;
  query: string;
  key: string;
  value: string;
}

/** Precision choices of the decoder's weights and MatMuls. */
export interface DecoderPrecision {
  precision: Precision;
  /** fp32 accumulation for fp16 weights through Casts (see GraphSettings.matmulPrecision). */
  matmulPrecision?: Precision;
  /** fp32 vocabulary projection in an fp16 graph (see GraphSettings.headPrecision). */
  headPrecision?: Precision;
}

/** Emits decoder parts whose weights go to one weights file, each tensor once. */
export class DecoderEmitter {
  readonly wt: ElementType;
  readonly ot: OnnxElementType;
  /** fp16 weights multiplied in fp32 through Casts. */
  readonly fp32Matmul: boolean;
  private readonly initializers = new Map<string, string>();
  private readonly eps: ReturnType<typeof float>;

  constructor(
    readonly root: GraphBuilder,
    readonly spec: ModelSpec,
    readonly source: WeightSource,
    readonly writer: WeightFileWriter,
    readonly options: DecoderPrecision,
  ) {
    this.wt = options.precision === 'fp16' ? 'F16' : 'F32';
    this.ot = options.precision === 'fp16' ? 'float16' : 'float';
    this.fp32Matmul = options.precision === 'fp16' && options.matmulPrecision === 'fp32';
    this.eps = float(spec.rmsNormEps);
  }

  /** An external weight, written on first use; later uses (in any subgraph) read the same initializer. */
  private weight(onnxName: string, make: () => { dims: number[]; bytes: Uint8Array; type?: OnnxElementType }): string {
    let name = this.initializers.get(onnxName);
    if (!name) {
      const { dims, bytes, type } = make();
      name = this.root.external(onnxName, type ?? this.ot, dims, this.writer.append(bytes));
      this.initializers.set(onnxName, name);
    }
    return name;
  }

  private vector(hfName: string, onnxName: string): string {
    return this.weight(onnxName, () => {
      const t = readConverted(this.source, hfName, this.wt);
      return { dims: t.shape, bytes: t.bytes };
    });
  }

  private linear(hfNames: string[], onnxName: string): string {
    return this.weight(onnxName, () => {
      const packed = packLinear(this.source, hfNames, this.wt);
      return { dims: [packed.rows, packed.cols], bytes: packed.bytes };
    });
  }

  private bias(hfNames: string[], onnxName: string, size: number): string {
    return this.weight(onnxName, () => ({ dims: [size], bytes: packBias(this.source, hfNames, this.wt) }));
  }

  /** x @ w, in fp32 with fp16 in and out when the MatMuls accumulate in fp32 through Casts. */
  project(g: GraphBuilder, x: string, w: string): string {
    return this.fp32Matmul ? g.op('Cast', [g.op('MatMul', [g.op('Cast', [x], { to: int(1) }), g.op('Cast', [w], { to: int(1) })])], { to: int(10) }) : g.op('MatMul', [x, w]);
  }

  /** Token embeddings of `ids` (int64 `[1, S]`): `[1, S, hidden]`. */
  embed(g: GraphBuilder, ids: string): string {
    const { spec } = this;
    const table = this.weight('embed_tokens', () => {
      const embed = readConverted(this.source, EMBED, this.wt);
      if (embed.shape[0] !== spec.vocabSize || embed.shape[1] !== spec.hiddenSize) {
        throw new Error(`Tensor "${EMBED}" has shape [${embed.shape}], expected [${spec.vocabSize}, ${spec.hiddenSize}] from config.json.`);
      }
      return { dims: embed.shape, bytes: embed.bytes };
    });
    return g.op('Gather', [table, ids], { axis: int(0) });
  }

  /** RMSNorm of the stream, first adding a pending addend (SkipSimplifiedLayerNormalization). */
  private norm(g: GraphBuilder, stream: ResidualStream, gamma: string, name: string): string {
    if (stream.pendingAdd === null) return g.op('SimplifiedLayerNormalization', [stream.residual, gamma], { axis: int(-1), epsilon: this.eps, stash_type: int(1) });
    const [normed, , , sum] = g.node('SkipSimplifiedLayerNormalization', [stream.pendingAdd, stream.residual, gamma], { epsilon: this.eps }, {
      domain: 'com.microsoft',
      outputs: [g.unique(`${name}_out`), '', '', g.unique(`${name}_sum`)],
    });
    stream.residual = sum!;
    stream.pendingAdd = null;
    return normed!;
  }

  /**
   * One decoder layer on `stream` (updated in place). `attend` adds the attention and returns its
   * output `[1, S, heads * headDim]`; `mlp` (default: `mlpBlock`) may run the MLP another way (in
   * chunks), given the normed input and a function that emits the block on a part of it.
   */
  layer(
    g: GraphBuilder,
    layer: number,
    stream: ResidualStream,
    attend: (p: LayerProjections) => string,
    mlp?: (h: string, block: (graph: GraphBuilder, x: string) => string) => string,
  ): void {
    const { spec } = this;
    const d = spec.hiddenSize;
    const qDim = spec.numHeads * spec.headDim;
    const kvDim = spec.numKvHeads * spec.headDim;
    const n = layerNames(layer);
    const l = `layers.${layer}`;
    const hidden = this.norm(g, stream, this.vector(n.inputNorm, `${l}.input_norm`), `${l}.norm1`);
    let qkv = this.project(g, hidden, this.linear([n.q, n.k, n.v], `${l}.qkv_proj`));
    if (spec.qkvBias) qkv = g.op('Add', [qkv, this.bias([n.q, n.k, n.v], `${l}.qkv_bias`, qDim + 2 * kvDim)]);
    const [qProj, kProj, v] = g.node('Split', [qkv, g.int64([qDim, kvDim, kvDim])], { axis: int(-1) }, { outputs: 3 }) as [string, string, string];
    let q = qProj;
    let k = kProj;
    if (spec.qkNorm) {
      const headShape = g.int64([0, 0, -1, spec.headDim], [4], 'head_shape');
      const headNorm = (t: string, gammaName: string, onnxName: string, width: number): string => {
        const heads = g.op('Reshape', [t, headShape]);
        const normed = g.op('SimplifiedLayerNormalization', [heads, this.vector(gammaName, onnxName)], { axis: int(-1), epsilon: this.eps, stash_type: int(1) });
        return g.op('Reshape', [normed, g.int64([0, 0, width], [3], 'flat_shape')]);
      };
      q = headNorm(q, n.qNorm, `${l}.q_norm`, qDim);
      k = headNorm(k, n.kNorm, `${l}.k_norm`, kvDim);
    }
    const attended = attend({ graph: g, layer, query: q, key: k, value: v });
    let o = this.project(g, attended, this.linear([n.o], `${l}.o_proj`));
    if (spec.outputBias) o = g.op('Add', [o, this.bias([n.o], `${l}.o_bias`, d)]);
    stream.pendingAdd = o;
    const hidden2 = this.norm(g, stream, this.vector(n.postNorm, `${l}.post_norm`), `${l}.norm2`);
    // The MLP's weights are declared here, in this order, whether the block runs here or in a subgraph.
    const gateUp = this.linear([n.gate, n.up], `${l}.gate_up_proj`);
    const down = this.linear([n.down], `${l}.down_proj`);
    const block = (graph: GraphBuilder, x: string): string => {
      const both = this.project(graph, x, gateUp);
      const [gate, up] = graph.node('Split', [both, graph.int64([spec.intermediateSize, spec.intermediateSize])], { axis: int(-1) }, { outputs: 2 }) as [string, string];
      const act = graph.op('Mul', [graph.op('Mul', [gate, graph.op('Sigmoid', [gate])]), up]);
      return this.project(graph, act, down);
    };
    stream.pendingAdd = mlp ? mlp(hidden2, block) : block(g, hidden2);
  }

  /** The stream with its pending addend added (the residual stream handed to another graph). */
  flush(g: GraphBuilder, stream: ResidualStream): string {
    return stream.pendingAdd === null ? stream.residual : g.op('Add', [stream.residual, stream.pendingAdd]);
  }

  /** The final RMSNorm of the stream. */
  finalNorm(g: GraphBuilder, stream: ResidualStream): string {
    return this.norm(g, stream, this.vector(FINAL_NORM, 'final_norm'), 'final_norm');
  }

  /**
   * Logits (float32) of normed hidden states `[1, R, hidden]`: `[1, R, vocab]`.
   * @throws Error when the checkpoint has no lm_head and does not tie its embeddings.
   */
  head(g: GraphBuilder, hidden: string): string {
    const { spec, source } = this;
    const headSource = spec.tieWordEmbeddings || !source.entries().has(LM_HEAD) ? 'model.embed_tokens' : 'lm_head';
    if (headSource === 'model.embed_tokens' && !spec.tieWordEmbeddings) throw new Error(`Checkpoint has no "${LM_HEAD}" and config.json sets tie_word_embeddings false.`);
    if (this.options.precision === 'fp16' && this.options.headPrecision === 'fp32') {
      const head = this.weight('lm_head', () => {
        const packed = packLinear(source, [headSource], 'F32');
        return { dims: [packed.rows, packed.cols], bytes: packed.bytes, type: 'float' };
      });
      return g.op('MatMul', [g.op('Cast', [hidden], { to: int(1) }), head]);
    }
    const logits = this.project(g, hidden, this.linear([headSource], 'lm_head'));
    return this.options.precision === 'fp16' ? g.op('Cast', [logits], { to: int(1) }) : logits;
  }
}

/**
 * The RoPE tables `[maxPositions, headDim / 2]` (attention factor folded in) as initializers in
 * `tables.bin`, in the compute dtype as transformers casts them.
 */
export function ropeTableInputs(g: GraphBuilder, spec: ModelSpec, settings: { precision: Precision; maxPositions: number }, tablesWriter: WeightFileWriter): { cosCache: string; sinCache: string } {
  const tables = ropeTables(spec, settings.maxPositions);
  const fp16 = settings.precision === 'fp16';
  const encode = (values: Float64Array): Uint8Array => (fp16 ? new Uint8Array(Uint16Array.from(values, (v) => floatToHalf(v)).buffer) : new Uint8Array(Float32Array.from(values).buffer));
  const table = (name: string, values: Float64Array): string => g.external(name, fp16 ? 'float16' : 'float', [tables.positions, tables.half], tablesWriter.append(encode(values)), 'tables.bin');
  return { cosCache: table('rope_cos', tables.cos), sinCache: table('rope_sin', tables.sin) };
}

/** A function making scalar constants in the compute dtype. */
export function scalarConstant(g: GraphBuilder, precision: Precision): (value: number) => string {
  return (value) =>
    precision === 'fp16'
      ? g.inline('c_scalar', 'float16', [], new Uint8Array(Uint16Array.of(floatToHalf(value)).buffer))
      : g.inline('c_scalar', 'float', [], new Uint8Array(Float32Array.of(value).buffer));
}
