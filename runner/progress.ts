// Progress of a run on stderr: a bar with samples done, rate, ETA and failures on a terminal; a
// line every few seconds otherwise (CI logs); nothing when quiet.
import cliProgress from 'cli-progress';

/** What the runner reports as it goes. */
export interface ProgressSink {
  start(total: number, label: string): void;
  /** One sample finished (answered, or failed for good). */
  tick(failed: boolean): void;
  stop(): void;
}

/** A sink that shows nothing. */
export const silentProgress: ProgressSink = { start() {}, tick() {}, stop() {} };

/**
 * A duration for progress lines: `42s`, `6m05s`, `2h03m` (rounded once, so never `6m60s`); `?` when
 * unknown (no sample finished yet, or no rate).
 * @example formatDuration(419.6) // '7m00s'
 */
export function formatDuration(seconds: number | string | undefined): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * The progress sink for the terminal: a bar when stderr is a TTY and CI is unset, else a line
 * every `intervalMs` while the run lasts, whether or not a sample finished in between (a long
 * Retry-After wait or a slow engine request still shows the run is alive), and one at the end.
 * @example const progress = terminalProgress(); progress.start(100, 'run'); progress.tick(false); progress.stop();
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr, intervalMs = 10_000, interactive = stream.isTTY === true && !process.env['CI']): ProgressSink {
  let total = 0;
  let done = 0;
  let failed = 0;
  let started = 0;
  let label = '';
  let bar: cliProgress.SingleBar | undefined;
  let timer: NodeJS.Timeout | undefined;
  const elapsed = (): number => Math.max(1e-3, (Date.now() - started) / 1000);
  const rate = (): number => done / elapsed();
  const eta = (): string => (done === 0 ? '?' : formatDuration((total - done) / rate()));
  const line = (): string => `${label}: ${done}/${total} samples, ${rate().toFixed(1)}/s, ${formatDuration(elapsed())} elapsed, ETA ${eta()}, ${failed} failed`;
  return {
    start(count, name) {
      total = count;
      label = name;
      started = Date.now();
      if (interactive) {
        bar = new cliProgress.SingleBar(
          {
            format: `${name} [{bar}] {value}/{total} | {rate}/s | ETA {eta_formatted} | {failed} failed`,
            stream,
            hideCursor: true,
            etaBuffer: 200,
            fps: 5,
            formatTime: (seconds: number | string) => (done === 0 ? '?' : formatDuration(seconds)),
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0, { rate: '0.0', failed: 0 });
      } else {
        timer = setInterval(() => void stream.write(`${line()}\n`), intervalMs);
        // A progress line never keeps the process alive.
        timer.unref();
      }
    },
    tick(didFail) {
      done++;
      if (didFail) failed++;
      if (bar) {
        if (done > total) bar.setTotal(done);
        bar.update(done, { rate: rate().toFixed(1), failed });
      }
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (bar) bar.stop();
      else if (total > 0 || done > 0) stream.write(`${line()}\n`);
    },
  };
}
