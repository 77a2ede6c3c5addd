// Ada-SnapKV decode: SnapKV's compress graph with max-aggregated scores and one budget shared by the
// KV heads (capacity x kv tokens in all, each head at least max(floor(capacity x 0.2), forced)), so
// heads keep different counts: the compacted cache is padded to the largest count and a validity
// bias (`snapkv_mask` attention state, 0 or -65504 per cached token, one valid column added per
// step) masks the padding. Decode is dense over the compacted cache plus the bias (snapkv.ts).
// Reference: runner/engine/sparse/reference/snapkv.ts (adaSnapKvSelect, snapKvDecode).
import type { AttentionBuilder } from './types.js';
import { compactedDecode } from './snapkv.js';
import { SNAPKV_IO } from './snapkv-io.js';

export const adaSnapKvAttention: AttentionBuilder = {
  id: 'ada-snapkv',
  phase: 'decode',
  description: 'Ada-SnapKV: SnapKV with max-aggregated scores and one budget shared by the KV heads (per-head floor); decode is dense over the padded compacted cache with a validity mask (budget attention.decode.capacity).',
  build: (ctx) => compactedDecode(ctx, true),
  budgetInputs: (b) => ({ [SNAPKV_IO.capacity]: b['capacity']! }),
};
