// Vertical-Slash (prefill) graph builder: not built yet (issue 9). Its float64 reference, budget and cost
// model are in runner/engine/sparse.
import type { AttentionBuilder } from './types.js';

export const verticalSlashAttention: AttentionBuilder = {
  id: 'vertical-slash',
  phase: 'prefill',
  description: 'Vertical-Slash (graph builder not built yet).',
  build: () => {
    throw new Error('The engine has no Vertical-Slash graph yet.');
  },
};
