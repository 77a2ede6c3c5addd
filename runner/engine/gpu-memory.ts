// Used GPU memory, sampled with nvidia-smi every 100 ms while a benchmark runs (no sampler, and null
// figures, where nvidia-smi is missing: CPU runs, other vendors). Device-wide figures: they include
// other processes on the GPU and memory the driver holds for the process.
import { spawn, type ChildProcess } from 'node:child_process';

/** Samples used GPU memory (MiB) of the first GPU; `peak()` since the last `reset()`. */
export class GpuMemory {
  private proc: ChildProcess | null = null;
  private max = 0;
  private last = 0;
  /** The first sample (MiB), 0 before one arrives. */
  baseline = 0;
  start(): void {
    try {
      this.proc = spawn('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits', '-lms', '100'], { stdio: ['ignore', 'pipe', 'ignore'] });
      this.proc.on('error', () => (this.proc = null));
      this.proc.stdout?.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) {
          const mib = Number.parseInt(line.trim(), 10);
          if (Number.isFinite(mib)) {
            if (this.baseline === 0) this.baseline = mib;
            this.max = Math.max(this.max, mib);
            this.last = mib;
          }
        }
      });
    } catch {
      this.proc = null;
    }
  }
  reset(): void {
    this.max = 0;
  }
  /** The highest sample since the last reset (MiB), or null without a sampler. */
  peak(): number | null {
    return this.proc ? this.max : null;
  }
  /** The latest sample (MiB), or null without a sampler. */
  current(): number | null {
    return this.proc ? this.last : null;
  }
  stop(): void {
    this.proc?.kill();
  }
}
