// A static check of where onnxruntime's WebGPU provider will run each node of a graph, and which
// tensors it will copy from the GPU back to the host (each copy makes the host wait for the GPU to
// finish all the work before it). It follows onnxruntime's rules (framework/fallback_cpu_capability.cc,
// the WebGPU kernels' type constraints): a node runs on the CPU when the provider has no kernel for
// its input types, or when it reads a CPU tensor (an output of Shape or of a CPU node) and every
// input is a small constant, a graph input or such a CPU tensor (not one the kernel reads on the
// host anyway), and none is float16. The type
// constraints are those of onnxruntime-node 1.30's WebGPU kernels as measured on the H100
// (docs/sparse-attention.md, "Keeping the index math on the GPU"; webgpu-ints.ts): int64 only where
// a kernel reads it as indices or as a host input (shapes, axes, TopK's k), Cast not from int64,
// Slice and GatherElements on float types only, Shape, Concat, Transpose and Expand on 32-bit types.
// An approximation of onnxruntime's placement, used by the tests to keep the sparse prefill graphs'
// data-derived integers on the GPU; the H100 profiles are the measurement.
import { decodeModel } from '../onnx/proto.js';

const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;
const BOOL = 9;
const FLOAT16 = 10;
const UINT32 = 12;
const NUMBER = [FLOAT, FLOAT16, INT32, UINT32];
const FLOATS = [FLOAT, FLOAT16];

/** What the provider's kernel for an op takes: the checked input's types, and its host inputs. */
interface KernelRule {
  /** Input index whose element type the kernel constrains (default 0), and the types it takes. */
  input?: number;
  types: readonly number[];
  /** Inputs the kernel reads on the host (shapes, axes, counts): copied down when on the GPU. */
  host?: readonly number[];
}

const elementwise: KernelRule = { types: NUMBER };
const RULES: Record<string, KernelRule> = {
  Add: elementwise, Sub: elementwise, Mod: elementwise, Mul: elementwise, Div: elementwise, Pow: elementwise, Min: elementwise, Max: elementwise, Sum: elementwise,
  Neg: elementwise, Abs: elementwise, Relu: elementwise, Sqrt: { types: FLOATS }, Exp: { types: FLOATS }, Log: { types: FLOATS }, Erf: { types: FLOATS },
  Sigmoid: { types: FLOATS }, Tanh: { types: FLOATS }, Floor: { types: FLOATS }, Ceil: { types: FLOATS },
  Equal: elementwise, Less: elementwise, Greater: elementwise, LessOrEqual: elementwise, GreaterOrEqual: elementwise,
  And: { types: [BOOL] }, Or: { types: [BOOL] }, Not: { types: [BOOL] }, Xor: { types: [BOOL] },
  Where: { input: 1, types: [...NUMBER, BOOL] },
  Cast: { types: [FLOAT, FLOAT16, INT32, UINT32, BOOL] },
  Concat: { types: NUMBER }, Transpose: { types: NUMBER }, Expand: { types: NUMBER, host: [1] }, Tile: { types: NUMBER, host: [1] },
  Pad: { types: NUMBER, host: [1, 2, 3] }, Split: { types: NUMBER, host: [1] },
  Gather: { types: NUMBER }, GatherElements: { types: FLOATS }, ScatterElements: { types: NUMBER }, Shape: { types: NUMBER },
  Slice: { types: FLOATS, host: [1, 2, 3, 4] },
  Reshape: { types: [...NUMBER, BOOL], host: [1] }, Unsqueeze: { types: [...NUMBER, BOOL], host: [1] }, Squeeze: { types: [...NUMBER, BOOL], host: [1] }, Flatten: { types: [...NUMBER, BOOL] },
  Identity: { types: [...NUMBER, BOOL] },
  Range: { types: [FLOAT, INT32], host: [0, 1, 2] },
  ReduceSum: { types: NUMBER, host: [1] }, ReduceMax: { types: NUMBER, host: [1] }, ReduceMin: { types: NUMBER, host: [1] }, ReduceMean: { types: NUMBER, host: [1] },
  ReduceProd: { types: NUMBER, host: [1] },
  MatMul: { types: FLOATS }, Softmax: { types: FLOATS }, CumSum: { types: NUMBER, host: [1] }, TopK: { types: FLOATS, host: [1] },
  MultiHeadAttention: { types: FLOATS }, GroupQueryAttention: { types: FLOATS, host: [6] }, RotaryEmbedding: { types: FLOATS },
  SimplifiedLayerNormalization: { types: FLOATS }, SkipSimplifiedLayerNormalization: { types: FLOATS }, MatMulNBits: { types: FLOATS },
};

/** Ops whose output element type is fixed or comes from an attribute; the rest take input 0's (or Where's input 1's). */
function outputTypes(op: string, inputs: number[], attrs: Map<string, number>, outputs: number): number[] {
  const same = (t: number | undefined): number[] => Array.from({ length: outputs }, () => t ?? 0);
  switch (op) {
    case 'Cast': return [attrs.get('to') ?? 0];
    case 'Shape': case 'Size': case 'ArgMax': case 'ArgMin': case 'NonZero': return [INT64];
    case 'TopK': return [inputs[0] ?? 0, INT64];
    case 'Equal': case 'Less': case 'Greater': case 'LessOrEqual': case 'GreaterOrEqual': case 'And': case 'Or': case 'Not': case 'Xor': return [BOOL];
    case 'Where': return [inputs[1] ?? 0];
    default: return same(inputs[0]);
  }
}

/** One node of the graph as the check places it. */
export interface PlacedNode {
  name: string;
  op: string;
  device: 'gpu' | 'cpu';
  /** Why the node runs on the CPU: 'no kernel' for its input types, or 'host inputs' only. */
  reason?: 'no kernel' | 'host inputs';
}

/** A tensor the provider copies from the GPU to the host, and the first node that reads it there. */
export interface HostRead {
  tensor: string;
  producer: string;
  producerOp: string;
  /** What the producer reads: the op of each input's producer, or `input:NAME` / `const:NAME`. */
  producerInputs: string[];
  consumer: string;
  consumerOp: string;
  /** 'cpu node': a CPU node reads it; 'host input': a GPU kernel reads it as a shape, axis or count. */
  kind: 'cpu node' | 'host input';
}

/** A tensor a CPU node makes during the run and a GPU kernel reads as data: copied up mid-run. */
export interface HostWrite {
  tensor: string;
  producer: string;
  producerOp: string;
  consumer: string;
  consumerOp: string;
}

interface GraphLike {
  node?: { name?: string; opType?: string; domain?: string; input?: string[]; output?: string[]; attribute?: { name?: string; i?: number }[] }[];
  input?: { name?: string; type?: { tensorType?: { elemType?: number } } }[];
  initializer?: { name?: string; dataType?: number; dims?: number[] }[];
}

/**
 * Places every node of `model` (ONNX bytes, nodes in topological order) as the WebGPU provider
 * would, and lists the GPU-to-host copies. Float graph inputs are taken to live on the GPU (the
 * engine's activations and caches), integer ones on the host.
 * @example webgpuPlacement(buildLayerGraph('vertical-slash', spec, { precision: 'fp16', maxPositions: 4096 }).model).hostReads
 */
export function webgpuPlacement(model: Uint8Array): { nodes: PlacedNode[]; hostReads: HostRead[]; hostWrites: HostWrite[] } {
  const graph = decodeModel(model)['graph'] as GraphLike;
  const type = new Map<string, number>();
  // Where a tensor lives: 'gpu', 'host' (a CPU output or a host input) or 'const' (an initializer).
  const where = new Map<string, 'gpu' | 'host' | 'const'>();
  for (const i of graph.input ?? []) {
    const t = i.type?.tensorType?.elemType ?? 0;
    type.set(i.name!, t);
    where.set(i.name!, t === FLOAT || t === FLOAT16 ? 'gpu' : 'host');
  }
  for (const i of graph.initializer ?? []) {
    type.set(i.name!, i.dataType ?? 0);
    where.set(i.name!, 'const');
  }
  const small = new Set((graph.initializer ?? []).filter((i) => (i.dims ?? []).reduce((x, y) => x * Number(y), 1) <= 100).map((i) => i.name!));
  const graphInputs = new Set((graph.input ?? []).map((i) => i.name!));
  // Types first (they do not depend on placement), and which nodes the provider has a kernel for.
  const list = (graph.node ?? []).map((n, index) => {
    const op = n.opType ?? '';
    const rule = RULES[op];
    if (!rule) throw new Error(`webgpuPlacement: no rule for ${n.domain ? `${n.domain}.` : ''}${op} (node ${n.name ?? ''})`);
    const inputTypes = (n.input ?? []).map((x) => (x === '' ? 0 : type.get(x) ?? 0));
    const attrs = new Map((n.attribute ?? []).map((a) => [a.name ?? '', Number(a.i ?? 0)] as const));
    const outs = outputTypes(op, inputTypes, attrs, (n.output ?? []).length);
    (n.output ?? []).forEach((o, k) => type.set(o, outs[k] ?? outs[0] ?? 0));
    const hasKernel = rule.types.includes(inputTypes[rule.input ?? 0] ?? 0);
    return { index, name: n.name ?? '', op, inputs: n.input ?? [], outputs: n.output ?? [], hasKernel, hostSlots: new Set(rule.host ?? []) };
  });
  const consumers = new Map<string, number[]>();
  for (const n of list) for (const x of n.inputs) if (x) consumers.set(x, [...(consumers.get(x) ?? []), n.index]);
  // onnxruntime's GetCpuPreferredNodes: from the CPU outputs of kernels (Shape's), visit consumers
  // in topological order; a node without a kernel passes CPU-ness on, a node with one moves to the
  // CPU when every input is float16-free and a small constant, a graph input, or a CPU tensor that
  // the kernel does not read on the host itself.
  const cpuOutputs = new Set<string>();
  const cpuNodes = new Set<number>();
  const queue = new Set<number>();
  for (const n of list) if (n.hasKernel && n.op === 'Shape') for (const o of n.outputs) { cpuOutputs.add(o); for (const c of consumers.get(o) ?? []) queue.add(c); }
  const visited = new Set<number>();
  while (queue.size) {
    const cur = Math.min(...queue);
    queue.delete(cur);
    if (visited.has(cur)) continue;
    visited.add(cur);
    const n = list[cur]!;
    const pass = (): void => { for (const o of n.outputs) { cpuOutputs.add(o); for (const c of consumers.get(o) ?? []) queue.add(c); } };
    if (!n.hasKernel) { pass(); continue; }
    const cpu = n.inputs.every((x, i) => !x || (type.get(x) !== FLOAT16 && (small.has(x) || graphInputs.has(x) || (cpuOutputs.has(x) && !n.hostSlots.has(i)))));
    if (cpu) { cpuNodes.add(cur); pass(); }
  }
  const nodes: PlacedNode[] = [];
  const hostReads: HostRead[] = [];
  const hostWrites: HostWrite[] = [];
  const producer = new Map<string, { name: string; op: string; inputs: string[] }>();
  const source = (x: string): string => producer.get(x)?.op ?? (graphInputs.has(x) ? `input:${x}` : `const:${x}`);
  for (const n of list) {
    const device: 'gpu' | 'cpu' = !n.hasKernel || cpuNodes.has(n.index) ? 'cpu' : 'gpu';
    const reason: PlacedNode['reason'] = !n.hasKernel ? 'no kernel' : cpuNodes.has(n.index) ? 'host inputs' : undefined;
    nodes.push({ name: n.name, op: n.op, device, ...(reason ? { reason } : {}) });
    n.inputs.forEach((x, i) => {
      // A CPU node's output read by a GPU kernel as data is copied up during the run.
      if (x && device === 'gpu' && !n.hostSlots.has(i) && where.get(x) === 'host' && producer.has(x) && !hostWrites.some((w) => w.tensor === x)) {
        const p = producer.get(x)!;
        hostWrites.push({ tensor: x, producer: p.name, producerOp: p.op, consumer: n.name, consumerOp: n.op });
      }
      // One copy per tensor: onnxruntime shares it among the tensor's host readers.
      if (!x || where.get(x) !== 'gpu' || hostReads.some((r) => r.tensor === x)) return;
      if (device === 'cpu' || n.hostSlots.has(i)) {
        const p = producer.get(x) ?? { name: x, op: 'input', inputs: [] };
        hostReads.push({ tensor: x, producer: p.name, producerOp: p.op, producerInputs: p.inputs, consumer: n.name, consumerOp: n.op, kind: device === 'cpu' ? 'cpu node' : 'host input' });
      }
    });
    for (const o of n.outputs) {
      where.set(o, device === 'cpu' || n.op === 'Shape' ? 'host' : 'gpu');
      producer.set(o, { name: n.name, op: n.op, inputs: n.inputs.filter((x) => x).map(source) });
    }
  }
  return { nodes, hostReads, hostWrites };
}
