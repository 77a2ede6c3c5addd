// Block-Sparse (prefill) graph builder: not built yet (issue 9). Its float64 reference, budget and cost
// model are in runner/engine/sparse.
import type { AttentionBuilder } from './types.js';

export const blockSparseAttention: AttentionBuilder = {
  id: 'block-sparse',
  phase: 'prefill',
  description: 'Block-Sparse (graph builder not built yet).',
  build: () => {
    throw new Error('The engine has no Block-Sparse graph yet.');
  },
};
