import { describe, expect, it } from 'vitest';
import { backoffDelay, isRetryableStatus, parseRetryAfter } from '../../runner/backends/retry-policy.js';

const policy = { baseMs: 500, maxMs: 8000, retryAfterMaxMs: 60_000 };

describe('retry policy', () => {
  it('retries rate limits, timeouts and server errors, not other client errors', () => {
    expect([408, 409, 425, 429, 500, 502, 503, 504].map(isRetryableStatus)).toEqual(Array(8).fill(true));
    expect([400, 401, 403, 404, 413, 422].map(isRetryableStatus)).toEqual(Array(6).fill(false));
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('2', 0)).toBe(2000);
    expect(parseRetryAfter('0.25', 0)).toBe(250);
    expect(parseRetryAfter(['3'], 0)).toBe(3000);
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });

  it('doubles the delay per attempt with equal jitter, capped', () => {
    expect(backoffDelay(1, policy, undefined, 0)).toBe(250);
    expect(backoffDelay(1, policy, undefined, 0.999999)).toBe(500);
    expect(backoffDelay(2, policy, undefined, 0)).toBe(500);
    expect(backoffDelay(3, policy, undefined, 0.5)).toBe(1500);
    expect(backoffDelay(10, policy, undefined, 0)).toBe(4000);
    expect(backoffDelay(10, policy, undefined, 0.999999)).toBe(8000);
  });

  it('honours Retry-After (plus up to 10% jitter), up to its cap', () => {
    expect(backoffDelay(1, policy, 3000, 0)).toBe(3000);
    expect(backoffDelay(1, policy, 3000, 0.5)).toBe(3150);
    expect(backoffDelay(5, policy, 120_000, 0)).toBe(60_000);
  });
});
