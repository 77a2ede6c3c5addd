// Checks that session.disable_cpu_ep_fallback is honoured by the Node binding on WebGPU: a graph
// with an operator the WebGPU provider lacks (Det) must be refused, and one of supported operators
// accepted. If the first is accepted, the flag is ignored and placement claims need another proof.
//
//   node dist/scripts/gpu-placement.js
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../runner/engine/onnx/graph-builder.js';
import { encodeModel } from '../runner/engine/onnx/proto.js';

function graph(op: 'Det' | 'MatMul'): Uint8Array {
  const g = new GraphBuilder();
  const x = g.input('x', 'float', [4, 4]);
  const y = op === 'Det' ? g.op('Det', [x]) : g.op('MatMul', [x, x]);
  g.output(y, 'y', 'float', op === 'Det' ? [] : [4, 4]);
  return encodeModel(g.toModel());
}

const strict = { executionProviders: ['webgpu'], extra: { session: { disable_cpu_ep_fallback: '1' } } };
const result: Record<string, string> = {};
for (const op of ['MatMul', 'Det'] as const) {
  try {
    const session = await ort.InferenceSession.create(graph(op), strict);
    await session.release();
    result[op] = 'accepted';
  } catch (error) {
    result[op] = `refused: ${(error as Error).message.split('\n')[0]!.slice(0, 200)}`;
  }
}
console.log(JSON.stringify({ check: 'disable_cpu_ep_fallback on webgpu', ...result, honoured: result['MatMul'] === 'accepted' && result['Det']!.startsWith('refused') }, null, 2));
