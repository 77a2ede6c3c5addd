// Progress on stderr: a bar on a terminal, plain lines otherwise (CI, pipes, files).
import cliProgress from 'cli-progress';
import { formatDuration } from '../runner/progress.js';

export interface Progress {
  start(total: number, label: string): void;
  tick(label: string): void;
  log(line: string): void;
  stop(): void;
}

/**
 * A progress reporter; a bar only when stderr is a TTY and CI is unset.
 * @example const progress = createProgress(); progress.start(12, 'ruler.niah 4k'); progress.tick('ruler.niah 4k'); progress.stop();
 */
export function createProgress(quiet = false, stream: NodeJS.WriteStream = process.stderr, interactive = !quiet && stream.isTTY === true && !process.env['CI']): Progress {
  if (!interactive) {
    let done = 0;
    let total = 0;
    return {
      start: (t) => {
        total = t;
        done = 0;
      },
      tick: (label) => {
        done++;
        if (!quiet && (done === total || done % 50 === 0)) stream.write(`  ${done}/${total} ${label}\n`);
      },
      log: (line) => {
        if (!quiet) stream.write(`${line}\n`);
      },
      stop: () => undefined,
    };
  }
  let done = 0;
  const bar = new cliProgress.SingleBar(
    {
      format: '{bar} {value}/{total} samples | {eta_formatted} left | {label}',
      stream,
      hideCursor: true,
      etaBuffer: 20,
      // Before the first sample there is no rate: '?' (cli-progress would say 0s).
      formatTime: (seconds: number | string) => (done === 0 ? '?' : formatDuration(seconds)),
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (total, label) => {
      done = 0;
      bar.start(total, 0, { label });
    },
    tick: (label) => {
      done++;
      bar.increment(1, { label });
    },
    log: (line) => {
      bar.stop();
      stream.write(`${line}\n`);
    },
    stop: () => bar.stop(),
  };
}
