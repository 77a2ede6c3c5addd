// What every reference returns: the attention output, the selection it used and the work it did.

/** A prefill reference's result. */
export interface PrefillResult<S> {
  /** `[numHeads, L, headDim]`, float64. */
  output: Float64Array;
  selection: S;
  /** Effective sparsity as the paper defines it for this method (see docs/sparse-attention.md). */
  sparsity: number;
  /** Causal query-key pairs computed, mean over query heads. */
  keptPairs: number;
}

/** A decode reference's result (one step). */
export interface DecodeResult<S> {
  /** `[numHeads, headDim]`, float64. */
  output: Float64Array;
  selection: S;
  /** Fraction of the KV cache not read this step, mean over KV heads. */
  sparsity: number;
  /** Cache entries read, mean over KV heads. */
  readTokens: number;
}
