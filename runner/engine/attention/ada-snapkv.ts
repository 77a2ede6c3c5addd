// Ada-SnapKV (decode) graph builder: not built yet (issue 9). Its float64 reference, budget and cost
// model are in runner/engine/sparse.
import type { AttentionBuilder } from './types.js';

export const adaSnapKvAttention: AttentionBuilder = {
  id: 'ada-snapkv',
  phase: 'decode',
  description: 'Ada-SnapKV (graph builder not built yet).',
  build: () => {
    throw new Error('The engine has no Ada-SnapKV graph yet.');
  },
};
