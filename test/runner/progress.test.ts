// Run progress on stderr: durations that never read 6m60s, '?' before any rate is known, and on a
// non-terminal a line every interval even while no sample finishes (a long Retry-After, a slow
// engine request), as docs/runner.md promises.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgress } from '../../cli/progress.js';
import { formatDuration, terminalProgress } from '../../runner/progress.js';

function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  let written = '';
  const stream = {
    isTTY,
    columns: 120,
    write: (chunk: string) => {
      written += chunk;
      return true;
    },
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
    clearScreenDown: () => true,
    on: () => stream,
    removeListener: () => stream,
    text: () => written,
  };
  return stream as unknown as NodeJS.WriteStream & { text: () => string };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('run progress', () => {
  it('formats durations rounded once, and unknown ones as ?', () => {
    expect([5, 59.6, 60, 359.6, 419.6, 3599.6, 7384].map(formatDuration)).toEqual(['5s', '1m00s', '1m00s', '6m00s', '7m00s', '1h00m', '2h03m']);
    expect([Number.NaN, Number.POSITIVE_INFINITY, 'NULL', 'INF', -1, undefined].map(formatDuration)).toEqual(['?', '?', '?', '?', '?', '?']);
  });

  it('prints a line every interval on a non-terminal while nothing finishes, and at the end', () => {
    vi.useFakeTimers({ now: 0 });
    const stream = fakeStream(false);
    const progress = terminalProgress(stream, 10_000, false);
    progress.start(4, 'sweep');
    vi.advanceTimersByTime(25_000);
    expect(stream.text()).toBe('sweep: 0/4 samples, 0.0/s, 10s elapsed, ETA ?, 0 failed\nsweep: 0/4 samples, 0.0/s, 20s elapsed, ETA ?, 0 failed\n');
    progress.tick(false);
    progress.tick(true);
    vi.advanceTimersByTime(5_000);
    expect(stream.text().split('\n').at(-2)).toBe('sweep: 2/4 samples, 0.1/s, 30s elapsed, ETA 30s, 1 failed');
    progress.stop();
    vi.advanceTimersByTime(60_000);
    expect(stream.text().trim().split('\n')).toHaveLength(4);
  });

  it("shows the bar's ETA as ? before the first sample and never as 6m60s", () => {
    vi.useFakeTimers({ now: 0 });
    const stream = fakeStream(true);
    const progress = terminalProgress(stream, 10_000, true);
    progress.start(1000, 'sweep');
    vi.advanceTimersByTime(1000);
    expect(stream.text()).toContain('| ETA ? |');
    // 10 samples in 4.83 s: 990 left at this rate is 478.2 s, which cli-progress shows as 07m60s.
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(383);
      progress.tick(false);
    }
    vi.advanceTimersByTime(400);
    progress.stop();
    expect(stream.text()).not.toMatch(/\d+m60s/);
    expect(stream.text()).toContain("ETA 7m59s");
  });

  it("shows generate's bar ETA as ? at 0/1, not 0s", () => {
    vi.useFakeTimers({ now: 0 });
    const stream = fakeStream(true);
    const progress = createProgress(false, stream, true);
    progress.start(1, 'ruler.niah 128k');
    vi.advanceTimersByTime(500);
    expect(stream.text()).toContain('0/1 samples | ? left');
    progress.stop();
  });
});
