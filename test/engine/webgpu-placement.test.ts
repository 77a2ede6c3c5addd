// The static WebGPU placement check (runner/engine/attention/webgpu-placement.ts) on the sparse
// prefill graphs: the only tensors copied from the GPU back to the host are lengths (the total
// sequence length, and the data-dependent list lengths a static graph must read), never a
// selection's index tensors. The check reproduces the H100 profiles' copies to the host: 2 per
// Vertical-Slash layer graph, 4 per FlexPrefill one, 1 per Block-Sparse one
// (docs/sparse-attention.md, "Keeping the index math on the GPU"). And it flags what those
// profiles showed before the graphs were changed: int64 arithmetic on TopK's indices, a Slice of
// an int32 list.
import { describe, expect, it } from 'vitest';
import { buildLayerGraph } from '../../runner/engine/attention/layer-graph.js';
import { webgpuPlacement, type HostRead } from '../../runner/engine/attention/webgpu-placement.js';
import { GraphBuilder, int } from '../../runner/engine/onnx/graph-builder.js';
import { decodeModel, encodeModel } from '../../runner/engine/onnx/proto.js';

const SHAPE = { numHeads: 28, numKvHeads: 4, headDim: 128 };

/** A host read is a length: a Cast of the total sequence length or of a longest count (ReduceMax, or Max with 1). */
function isLength(r: HostRead): boolean {
  return r.producerOp === 'Cast' && r.producerInputs.length === 1 && ['input:total_sequence_length', 'ReduceMax', 'Max'].includes(r.producerInputs[0]!);
}

describe('WebGPU placement of the sparse prefill graphs (fp16, as the engine builds them on WebGPU)', () => {
  it.each([
    ['vertical-slash', { scope: 'kv-head' }, 2],
    ['vertical-slash', { scope: 'kv-head', compactColumns: true }, 3],
    ['flexprefill', { scope: 'kv-head' }, 4],
    ['flexprefill', { scope: 'kv-head', coverage: 'bisect' }, 4],
    ['block-sparse', { scope: 'kv-head', blockSize: 64 }, 1],
    ['block-sparse', { blockSize: 16 }, 1],
  ] as const)('%s %j: %i host reads, all of them lengths, and nothing built on the host is copied up', (method, params, reads) => {
    const built = buildLayerGraph(method, SHAPE, { precision: 'fp16', maxPositions: 65600, params: { ...params } });
    const { hostReads, hostWrites } = webgpuPlacement(built.model);
    expect(hostReads.map((r) => `${r.producerOp}(${r.producerInputs.join(',')})`)).toHaveLength(reads);
    expect(hostReads.filter((r) => !isLength(r))).toEqual([]);
    expect(hostWrites).toEqual([]);
  });

  it('the query-head Vertical-Slash (MatMul passes) reads only lengths: the total, the tile list and each pass\'s tile width', () => {
    const built = buildLayerGraph('vertical-slash', SHAPE, { precision: 'fp16', maxPositions: 65600, params: { scope: 'query-head', headsPerPass: 7 } });
    const { hostReads } = webgpuPlacement(built.model);
    expect(hostReads.filter((r) => !isLength(r))).toEqual([]);
    // 28 query heads in passes of 7: 4 passes, each trimming its tile list to its longest head (the
    // column count is the static budget, known on the host).
    expect(hostReads).toHaveLength(2 + 4);
  });

  it('flags a host-built index vector read by a GPU Gather (copied up mid-run)', () => {
    const g = new GraphBuilder('weights.bin');
    const table = g.input('table', 'float16', ['n', 4]); // float16: onnxruntime never moves such a node to the CPU
    const total = g.input('total', 'int32', []);
    const n = g.op('Cast', [total], { to: int(7) });
    // Shape's output is a host tensor; the int64 Range and arithmetic over it stay on the CPU.
    const rows = g.op('Range', [g.int64([0], []), g.op('Reshape', [g.op('Shape', [table], { start: int(0), end: int(1) }), g.int64([], [0])]), g.int64([1], [])]);
    g.output(g.op('Gather', [table, g.op('Sub', [rows, g.int64([0], [])])], { axis: int(0) }), 'rows', 'float16', ['n', 4]);
    g.output(n, 'n', 'int64', []);
    const { hostWrites } = webgpuPlacement(encodeModel(g.toModel()));
    expect(hostWrites.map((w) => `${w.producerOp} -> ${w.consumerOp}`)).toEqual(['Sub -> Gather']);
  });

  it('flags int64 arithmetic on TopK indices and a Slice of an int32 list (the form the graphs had before)', () => {
    const g = new GraphBuilder('weights.bin');
    const scores = g.input('scores', 'float', [4, 'n']);
    const total = g.input('total', 'int64', []);
    const [, indices] = g.node('TopK', [scores, g.int64([8])], { axis: int(-1) }, { outputs: 2 });
    const shifted = g.op('Where', [g.op('Less', [indices!, g.int64([3], [])]), indices!, total]);
    const list32 = g.op('Cast', [g.op('Gather', [g.op('Cast', [g.op('Range', [g.int64([0], []), total, g.int64([1], [])])], { to: int(1) }), indices!], { axis: int(0) })], { to: int(6) });
    const sliced = g.op('Slice', [list32, g.int64([0]), g.int64([4]), g.int64([1])]);
    g.output(shifted, 'shifted', 'int64', [4, 8]);
    g.output(sliced, 'sliced', 'int32', [4, 4]);
    const { nodes, hostReads } = webgpuPlacement(encodeModel(g.toModel()));
    expect(hostReads.map((r) => `${r.producerOp} -> ${r.consumerOp}`)).toEqual(['TopK -> Less', 'Cast -> Slice']);
    // No WebGPU kernel: int64 Less and Where on the indices, the int64 Range and the Cast from it, the int32 Slice.
    expect(nodes.filter((n) => n.reason === 'no kernel').map((n) => n.op)).toEqual(expect.arrayContaining(['Less', 'Where', 'Range', 'Cast', 'Slice']));
    expect(nodes.find((n) => n.op === 'TopK')?.device).toBe('gpu');
  });

  it('rejects an op it has no rule for', () => {
    const g = new GraphBuilder('weights.bin');
    g.output(g.op('Einsum', [g.input('x', 'float', [2, 2])], {}), 'y', 'float', [2, 2]);
    expect(() => webgpuPlacement(encodeModel(g.toModel()))).toThrow(/no rule for Einsum/);
  });
});

describe('full-size intermediates of the fused passes', () => {
  // On WebGPU a tensor over 160 MB is allocated afresh in every run (onnxruntime's buffer cache keeps
  // none that large), at a host cost that grows with its size: Block-Sparse's bias at 128k was two
  // such tensors per pass (a Mul, then an Add), and one Where halved the layer's time at C = 20
  // (docs/sparse-attention.md, "Block-Sparse's bias in one op").
  it.each([
    ['block-sparse', { scope: 'kv-head', blockSize: 64 }, 'Where'],
    ['vertical-slash', { scope: 'kv-head' }, 'Where'],
    ['flexprefill', { scope: 'kv-head' }, 'Where'],
  ] as const)('%s %j: each MultiHeadAttention\'s bias comes straight from one %s (reshapes aside)', (method, params, op) => {
    const built = buildLayerGraph(method, SHAPE, { precision: 'fp16', maxPositions: 65600, params: { ...params } });
    const graph = decodeModel(built.model)['graph'] as { node: { opType: string; input?: string[]; output?: string[] }[] };
    const producer = new Map(graph.node.flatMap((n) => (n.output ?? []).map((o) => [o, n] as const)));
    const attention = graph.node.filter((n) => n.opType === 'MultiHeadAttention');
    expect(attention.length).toBeGreaterThan(0);
    for (const mha of attention) {
      let bias = producer.get(mha.input![5]!)!;
      while (bias.opType === 'Reshape' || bias.opType === 'Unsqueeze') bias = producer.get(bias.input![0]!)!;
      expect(bias.opType).toBe(op);
    }
  });

  // The estimation of the pattern methods (scope 'kv-head'): the scores of the columns every row
  // sees go straight into their Softmax, and only the [n, n] triangle is masked, so a pass holds two
  // full-size buffers (scores, probabilities) where Softmax(Where(mask, scores)) held three. Fails
  // on the masked form (checked).
  it.each(['vertical-slash', 'flexprefill'] as const)('%s {"scope":"kv-head"}: the estimation softmaxes unmasked scores, and masks only the triangle', (method) => {
    const built = buildLayerGraph(method, SHAPE, { precision: 'fp16', maxPositions: 65600, params: { scope: 'kv-head' } });
    const graph = decodeModel(built.model)['graph'] as { node: { opType: string; input?: string[]; output?: string[] }[] };
    const producer = new Map(graph.node.flatMap((n) => (n.output ?? []).map((o) => [o, n] as const)));
    const fed = graph.node.filter((n) => n.opType === 'Softmax').map((n) => producer.get(n.input![0]!)!);
    // Per estimation pass (of whole KV heads) one Softmax of MatMul scores and one of the masked triangle.
    const unmasked = fed.filter((n) => n.opType === 'MatMul');
    const masked = fed.filter((n) => n.opType === 'Where');
    expect(unmasked.length).toBeGreaterThan(0);
    expect(masked.length).toBe(unmasked.length);
    expect(fed.length).toBe(2 * unmasked.length);
    // The mask: And of two comparisons over [n] columns, unsqueezed to [n, 1, n] (not an [n, T] mask).
    for (const where of masked) expect(producer.get(where.input![0]!)!.opType).toBe('Unsqueeze');
  });
});
