// When to retry a failed request and how long to wait: exponential backoff with jitter, and the
// server's Retry-After when it sends one. Pure functions of their inputs (the jitter draw is passed
// in), so the schedule is testable without a clock.

/** Backoff settings. */
export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  baseMs: number;
  /** Cap of the exponential delay (a server's Retry-After may exceed it, up to retryAfterMaxMs). */
  maxMs: number;
  /** Longest Retry-After honoured; longer values are cut to this. */
  retryAfterMaxMs: number;
}

/** HTTP statuses worth retrying: rate limits, timeouts and server-side failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

/**
 * Parses a Retry-After header (seconds or an HTTP date) into milliseconds from `nowMs`.
 * Returns undefined when absent or unparseable.
 * @example parseRetryAfter('2', 0) // 2000
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * Delay before retry number `attempt` (1 = first retry). Without Retry-After: "equal jitter",
 * half the exponential delay plus a uniform draw over the other half, so concurrent clients spread
 * out but never retry at once. With Retry-After: that delay plus up to 10% jitter.
 * @param jitter a uniform draw in [0, 1).
 * @example backoffDelay(1, { baseMs: 500, maxMs: 8000, retryAfterMaxMs: 60000 }, undefined, 0) // 250
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, retryAfterMs: number | undefined, jitter: number): number {
  if (retryAfterMs !== undefined) {
    const honoured = Math.min(retryAfterMs, policy.retryAfterMaxMs);
    return Math.round(honoured * (1 + 0.1 * jitter));
  }
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (exponential / 2) * jitter);
}
