// Bounded concurrency: at most `limit` tasks in flight; `acquire` waits for a free slot, which is
// also the back-pressure that keeps a streaming producer from reading ahead.

/** A counting semaphore with a way to wait until everything finished. */
export class Limiter {
  private active = 0;
  private waiting: (() => void)[] = [];
  private idle: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`Concurrency ${limit} should be at least 1.`);
  }

  /** Tasks running now. */
  get inFlight(): number {
    return this.active;
  }

  /** Waits for a free slot and takes it. */
  acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Gives a slot back (to the next waiter, if any). */
  release(): void {
    const next = this.waiting.shift();
    if (next) {
      next();
      return;
    }
    this.active--;
    if (this.active === 0) for (const done of this.idle.splice(0)) done();
  }

  /**
   * Takes a slot, starts `task` without waiting for it, and gives the slot back when it settles.
   * @example await limiter.run(() => fetchOne(id));
   */
  async run(task: () => Promise<void>): Promise<void> {
    await this.acquire();
    void task().finally(() => this.release());
  }

  /** Resolves when no task is in flight. */
  drain(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}
