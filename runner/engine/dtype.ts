// Element types of checkpoint tensors and the conversions between them. bf16 has no WebGPU kernels,
// so bf16 weights become fp16 (or fp32 on the CPU provider) when the engine writes its graphs.

/** Element types the engine reads from safetensors and writes into graphs. */
export type ElementType = 'F32' | 'F16' | 'BF16';

/** Bytes per element. */
export const BYTES: Record<ElementType, number> = { F32: 4, F16: 2, BF16: 2 };

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Rounds a float to the nearest fp16 bit pattern (ties to even; overflow becomes infinity).
 * @example floatToHalf(1) // 0x3c00
 */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++;
  if ((half & 0x7fff) >= 0x7c00) e = 0x1f; // rounded up into infinity
  return sign | (e === 0x1f ? 0x7c00 : half);
}

/** fp16 bit pattern to float. @example halfToFloat(0x3c00) // 1 */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

let halfTable: Float32Array | null = null;
/** All 65536 fp16 values as floats (bulk conversions look values up instead of decoding them). */
function halfLookup(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable;
}

/** bf16 bit pattern to float. */
export function bf16ToFloat(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0]!;
}

/** Float to bf16 (round to nearest even), for writing test checkpoints. */
export function floatToBf16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/**
 * Decodes raw little-endian bytes of `type` into float64 values (for the reference pass).
 * @example toFloat64(bytes, 'BF16')
 */
export function toFloat64(bytes: Uint8Array, type: ElementType): Float64Array {
  const n = bytes.byteLength / BYTES[type];
  const out = new Float64Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (type === 'F32') for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  else if (type === 'F16') for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  else for (let i = 0; i < n; i++) out[i] = bf16ToFloat(view.getUint16(i * 2, true));
  return out;
}

/**
 * Converts raw bytes of `from` to raw bytes of `to` (F32 or F16 targets). fp16 -> fp16 and
 * fp32 -> fp32 are copies.
 * @throws Error for a BF16 target (the engine never writes bf16).
 */
export function convertBytes(bytes: Uint8Array, from: ElementType, to: ElementType): Uint8Array {
  if (from === to) return bytes;
  const n = bytes.byteLength / BYTES[from];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (to === 'F32') {
    const out = new Float32Array(n);
    const bits = new Uint32Array(out.buffer);
    const src = new Uint16Array(bytes.byteOffset % 2 === 0 ? bytes.buffer : bytes.slice().buffer, bytes.byteOffset % 2 === 0 ? bytes.byteOffset : 0, n);
    if (from === 'F16') {
      const table = halfLookup();
      for (let i = 0; i < n; i++) out[i] = table[src[i]!]!;
    } else for (let i = 0; i < n; i++) bits[i] = (src[i]! << 16) >>> 0;
    return new Uint8Array(out.buffer);
  }
  if (to === 'F16') {
    const out = new Uint16Array(n);
    if (from === 'F32') for (let i = 0; i < n; i++) out[i] = floatToHalf(view.getFloat32(i * 4, true));
    else for (let i = 0; i < n; i++) out[i] = floatToHalf(bf16ToFloat(view.getUint16(i * 2, true)));
    return new Uint8Array(out.buffer);
  }
  throw new Error(`Cannot convert ${from} to ${to}: the engine writes F32 or F16 only.`);
}
