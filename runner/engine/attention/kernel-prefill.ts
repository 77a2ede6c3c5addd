// Which prefill methods the fused SparseAttention kernel serves (the one-run graph takes it where the
// runtime profile has the kernel, graph/generation-graph.ts): Block-Sparse with blocks of 64, and
// A-shape's block form (params.granularity 'block'). Every other method, and a checkpoint whose head
// size the kernel does not take, runs its generic graph.
import type { AttentionContext } from './types.js';
import { blockSparseKernelPrefill, kernelServes } from './block-sparse-kernel.js';
import { aShapeKernelPrefill, aShapeKernelServes } from './a-shape-kernel.js';

/**
 * The kernel form of a prefill method for a model's head size and a setting's params, or null when
 * the kernel does not serve them.
 * @throws Error when an A-shape setting's params.granularity is invalid.
 * @example kernelPrefill('a-shape', 128, { granularity: 'block' }) // aShapeKernelPrefill
 */
export function kernelPrefill(methodId: string, headDim: number, params: Record<string, unknown>): ((ctx: AttentionContext) => string) | null {
  if (methodId === 'block-sparse') return kernelServes(headDim, params) ? blockSparseKernelPrefill : null;
  if (methodId === 'a-shape') return aShapeKernelServes(headDim, params) ? aShapeKernelPrefill : null;
  return null;
}
