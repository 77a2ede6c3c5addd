// Hugging Face tensor names of a decoder layer and the packing of linear weights into the layout
// the graph multiplies with: HF stores [out, in]; MatMul wants [in, out], and q/k/v (gate/up) are
// concatenated along `out` so each layer runs one projection instead of three (two).
import { BYTES, convertBytes, type ElementType } from '../dtype.js';
import type { WeightSource } from '../checkpoint/checkpoint.js';

/** HF names of one layer's tensors. */
export function layerNames(layer: number) {
  const p = `model.layers.${layer}`;
  return {
    inputNorm: `${p}.input_layernorm.weight`,
    postNorm: `${p}.post_attention_layernorm.weight`,
    q: `${p}.self_attn.q_proj`,
    k: `${p}.self_attn.k_proj`,
    v: `${p}.self_attn.v_proj`,
    o: `${p}.self_attn.o_proj`,
    qNorm: `${p}.self_attn.q_norm.weight`,
    kNorm: `${p}.self_attn.k_norm.weight`,
    gate: `${p}.mlp.gate_proj`,
    up: `${p}.mlp.up_proj`,
    down: `${p}.mlp.down_proj`,
  };
}

export const EMBED = 'model.embed_tokens.weight';
export const FINAL_NORM = 'model.norm.weight';
export const LM_HEAD = 'lm_head.weight';

/**
 * Reads linear layers `names` (each `[out_i, in]`, `.weight` appended), converts them to `to`, and
 * returns one `[in, sum(out_i)]` matrix.
 * @throws Error when the inputs' `in` sizes differ.
 */
export function packLinear(source: WeightSource, names: readonly string[], to: ElementType): { bytes: Uint8Array; rows: number; cols: number } {
  const shortcut = source.packedLinear?.(names, to);
  if (shortcut) return shortcut;
  const parts = names.map((n) => {
    const t = source.read(`${n}.weight`);
    if (t.shape.length !== 2) throw new Error(`Tensor "${n}.weight" has shape [${t.shape}], expected [out, in].`);
    return { out: t.shape[0]!, inp: t.shape[1]!, bytes: convertBytes(t.bytes, t.dtype, to), name: n };
  });
  const rows = parts[0]!.inp;
  for (const p of parts) if (p.inp !== rows) throw new Error(`Tensor "${p.name}.weight" has input size ${p.inp}, expected ${rows}.`);
  const cols = parts.reduce((a, p) => a + p.out, 0);
  const size = BYTES[to];
  const out = new Uint8Array(rows * cols * size);
  let col0 = 0;
  for (const p of parts) {
    const b = p.bytes.byteOffset % 4 === 0 ? p.bytes : p.bytes.slice();
    if (size === 2) {
      transposeInto(new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2), new Uint16Array(out.buffer), p.out, rows, cols, col0);
    } else {
      transposeInto(new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4), new Uint32Array(out.buffer), p.out, rows, cols, col0);
    }
    col0 += p.out;
  }
  return { bytes: out, rows, cols };
}

/** Reads biases `names` (`.bias` appended) and concatenates them, converted to `to`. */
export function packBias(source: WeightSource, names: readonly string[], to: ElementType): Uint8Array {
  const parts = names.map((n) => {
    const t = source.read(`${n}.bias`);
    return convertBytes(t.bytes, t.dtype, to);
  });
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Reads a vector or table tensor converted to `to` (no transposition). */
export function readConverted(source: WeightSource, name: string, to: ElementType): { bytes: Uint8Array; shape: number[] } {
  const t = source.read(name);
  return { bytes: convertBytes(t.bytes, t.dtype, to), shape: t.shape };
}

/** Writes src `[outs, rows]` transposed into dst `[rows, cols]` at column `col0`, in cache-sized tiles. */
function transposeInto(src: Uint16Array | Uint32Array, dst: Uint16Array | Uint32Array, outs: number, rows: number, cols: number, col0: number): void {
  const T = 64;
  for (let o0 = 0; o0 < outs; o0 += T) {
    const o1 = Math.min(outs, o0 + T);
    for (let i0 = 0; i0 < rows; i0 += T) {
      const i1 = Math.min(rows, i0 + T);
      for (let o = o0; o < o1; o++) {
        const base = o * rows;
        const c = col0 + o;
        for (let i = i0; i < i1; i++) dst[i * cols + c] = src[base + i]!;
      }
    }
  }
}
