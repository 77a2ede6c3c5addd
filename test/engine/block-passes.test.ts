// blockPasses (runner/engine/attention/block-passes.ts): the unrolled passes are chained by a data
// dependency, so each pass starts after the previous one's output exists (onnxruntime could
// otherwise run every pass's gathers first and hold a whole chunk's intermediates), and the joined
// result is unchanged: every block comes from its own pass.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, int } from '../../runner/engine/onnx/graph-builder.js';
import { encodeModel } from '../../runner/engine/onnx/proto.js';
import { blockPasses } from '../../runner/engine/attention/block-passes.js';

interface NodeLike { input: string[]; output: string[] }

/** Every value `name` depends on (graph inputs and node outputs), through the nodes. */
function ancestors(nodes: NodeLike[], name: string): Set<string> {
  const producer = new Map<string, NodeLike>();
  for (const n of nodes) for (const o of n.output) producer.set(o, n);
  const seen = new Set<string>();
  const stack = [name];
  while (stack.length) {
    const v = stack.pop()!;
    for (const i of producer.get(v)?.input ?? []) if (i && !seen.has(i)) { seen.add(i); stack.push(i); }
  }
  return seen;
}

describe('blockPasses', () => {
  it('chains each pass to the previous one and joins the blocks as without passes', async () => {
    const g = new GraphBuilder('weights.bin');
    const x = g.input('x', 'float', [1, 'blocks', 3]);
    const n = g.op('Squeeze', [g.op('Shape', [x], { start: int(1), end: int(2) })]);
    const passOutputs: string[] = [];
    const starts: string[] = [];
    const joined = blockPasses({ op: (t, i, a) => g.op(t, i, a), int64: (v) => g.int64([v], []), vector: (v) => g.int64([v]) }, n, g.int64([2], []), 3, 1, (start, end) => {
      starts.push(start);
      const out = g.op('Mul', [g.op('Slice', [x, g.op('Reshape', [start, g.int64([1])]), g.op('Reshape', [end, g.int64([1])]), g.int64([1])]), g.inline('two', 'float', [], new Uint8Array(Float32Array.of(2).buffer))]);
      passOutputs.push(out);
      return out;
    });
    g.output(joined, 'y', 'float', [1, 'blocks', 3]);
    const model = g.toModel();
    const nodes = model.graph!.node as unknown as NodeLike[];
    for (let i = 1; i < passOutputs.length; i++) {
      expect(ancestors(nodes, starts[i]!).has(passOutputs[i - 1]!)).toBe(true);
      expect(ancestors(nodes, starts[i - 1]!).has(passOutputs[i]!)).toBe(false);
    }
    // 5 blocks in passes of 2 (the last pass shifts back to blocks 3-4): y = 2x, NaN included.
    const session = await ort.InferenceSession.create(encodeModel(model));
    const data = Float32Array.from({ length: 15 }, (_, i) => (i === 0 ? NaN : i));
    const { y } = await session.run({ x: new ort.Tensor('float32', data, [1, 5, 3]) });
    expect(Array.from(y!.data as Float32Array)).toEqual(Array.from(data, (v) => 2 * v));
    await session.release();
  });
});
