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

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * The progress sink for the terminal: a bar when stderr is a TTY and CI is unset, else a line
 * every `intervalMs`.
 * @example const progress = terminalProgress(); progress.start(100, 'run'); progress.tick(false); progress.stop();
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr, intervalMs = 10_000): ProgressSink {
  const interactive = stream.isTTY === true && !process.env['CI'];
  let total = 0;
  let done = 0;
  let failed = 0;
  let started = 0;
  let lastLine = 0;
  let label = '';
  let bar: cliProgress.SingleBar | undefined;
  const rate = (): number => done / Math.max(1e-3, (Date.now() - started) / 1000);
  const line = (): string =>
    `${label}: ${done}/${total} samples, ${rate().toFixed(1)}/s, ETA ${formatEta((total - done) / rate())}, ${failed} failed`;
  return {
    start(count, name) {
      total = count;
      label = name;
      started = Date.now();
      lastLine = started;
      if (interactive) {
        bar = new cliProgress.SingleBar(
          { format: `${name} [{bar}] {value}/{total} | {rate}/s | ETA {eta_formatted} | {failed} failed`, stream, hideCursor: true, etaBuffer: 200, fps: 5 },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0, { rate: '0.0', failed: 0 });
      }
    },
    tick(didFail) {
      done++;
      if (didFail) failed++;
      if (bar) {
        if (done > total) bar.setTotal(done);
        bar.update(done, { rate: rate().toFixed(1), failed });
      } else if (Date.now() - lastLine >= intervalMs) {
        lastLine = Date.now();
        stream.write(`${line()}\n`);
      }
    },
    stop() {
      if (bar) bar.stop();
      else if (total > 0 || done > 0) stream.write(`${line()}\n`);
    },
  };
}
