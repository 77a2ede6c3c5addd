// Ada-SnapKV decode in the one-run graph's Loop: SnapKV's one-time compaction (loop-snapkv.ts) with
// max-aggregated scores and one budget shared by the KV heads (capacity x kv tokens in all, each
// head at least its floor), so heads keep different counts: the compacted prompt is padded to the
// layer's largest count and a validity bias masks the padding. Decode is dense over the compacted
// prompt (bias added) and the generated tokens. Reference: runner/engine/sparse/reference/snapkv.ts
// (adaSnapKvSelect, snapKvDecode).
import { compactPrompt, snapKvLoopDecode } from './loop-snapkv.js';
import type { LoopDecodeMethod } from './loop-decode.js';

export const adaSnapKvLoopDecode: LoopDecodeMethod = {
  id: 'ada-snapkv',
  description: 'Ada-SnapKV: SnapKV\'s compaction with max-aggregated scores and one budget shared by the KV heads (per-head floor); decode is dense over the padded compacted prompt (a validity bias) and the generated tokens.',
  prepare: (ctx) => compactPrompt(ctx, 'ada-snapkv'),
  attend: (ctx) => snapKvLoopDecode.attend(ctx),
};
