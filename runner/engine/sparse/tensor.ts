// The tensors the sparse-attention references read: one row-major `[heads, length, headDim]` array
// per tensor, as the engine lays queries, keys and values out per head. Queries have `numHeads`
// heads, keys and values `numKvHeads`; query head h reads KV head floor(h / group) (GQA).

/** A `[heads, length, headDim]` tensor, row-major, float32 or float64. */
export interface HeadTensor {
  heads: number;
  length: number;
  headDim: number;
  data: Float32Array | Float64Array;
}

/** Queries, keys and values of one layer's prefill (all positions 0..length-1). */
export interface PrefillInput {
  /** `[numHeads, L, headDim]`, RoPE already applied. */
  query: HeadTensor;
  /** `[numKvHeads, L, headDim]`, RoPE already applied. */
  key: HeadTensor;
  /** `[numKvHeads, L, headDim]`. */
  value: HeadTensor;
}

/** One decode step: the query of the newest token (position L-1) and the cache including its key. */
export interface DecodeInput {
  /** `[numHeads, 1, headDim]`. */
  query: HeadTensor;
  /** `[numKvHeads, L, headDim]`; position L-1 is the current token. */
  key: HeadTensor;
  /** `[numKvHeads, L, headDim]`. */
  value: HeadTensor;
}

/**
 * Wraps an array as a head tensor after checking its size.
 * @throws RangeError when the sizes are not positive integers or `data.length` is not their product.
 * @example headTensor(2, 3, 4, new Float32Array(24)).length // 3
 */
export function headTensor(heads: number, length: number, headDim: number, data?: Float32Array | Float64Array): HeadTensor {
  for (const [name, n] of [['heads', heads], ['length', length], ['headDim', headDim]] as const) {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`${name} is ${n}; a positive integer is required.`);
  }
  const size = heads * length * headDim;
  const values = data ?? new Float64Array(size);
  if (values.length !== size) throw new RangeError(`data has ${values.length} values; [${heads}, ${length}, ${headDim}] needs ${size}.`);
  return { heads, length, headDim, data: values };
}

/** Offset of `[head, position, 0]`. */
export const rowOffset = (t: HeadTensor, head: number, position: number): number => (head * t.length + position) * t.headDim;

/** Dot product of query row (head, i) with key row (kvHead, j). */
export function dot(q: HeadTensor, head: number, i: number, k: HeadTensor, kvHead: number, j: number): number {
  const a = rowOffset(q, head, i);
  const b = rowOffset(k, kvHead, j);
  let s = 0;
  for (let x = 0; x < q.headDim; x++) s += q.data[a + x]! * k.data[b + x]!;
  return s;
}

/**
 * Checks the shapes of a layer's queries, keys and values and returns the GQA group size.
 * @throws RangeError naming the tensor and dimension that do not fit.
 * @example checkAttentionShapes(q, k, v, 'prefill') // 7 for 28 query heads over 4 KV heads
 */
export function checkAttentionShapes(query: HeadTensor, key: HeadTensor, value: HeadTensor, phase: 'prefill' | 'decode'): number {
  if (key.heads !== value.heads || key.length !== value.length) {
    throw new RangeError(`key is [${key.heads}, ${key.length}, ${key.headDim}] but value is [${value.heads}, ${value.length}, ${value.headDim}]; heads and length must match.`);
  }
  if (query.headDim !== key.headDim || key.headDim !== value.headDim) {
    throw new RangeError(`headDim differs: query ${query.headDim}, key ${key.headDim}, value ${value.headDim}.`);
  }
  if (query.heads % key.heads !== 0) throw new RangeError(`query has ${query.heads} heads, not a multiple of the ${key.heads} KV heads.`);
  if (phase === 'prefill' && query.length !== key.length) {
    throw new RangeError(`prefill query length ${query.length} differs from key length ${key.length}.`);
  }
  if (phase === 'decode' && query.length !== 1) throw new RangeError(`decode query length is ${query.length}; one token (1) is required.`);
  return query.heads / key.heads;
}
