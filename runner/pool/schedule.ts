// The shared work queue of a pooled run: (cell, sample) pairs ordered by model, then by expected
// cost, longest first. Workers take the next pair when they are free (list scheduling), so the
// long generations start early and the short ones fill the gaps at the end: the workers finish
// close together (longest-processing-time-first, within 4/3 of the best possible makespan).
// Models come first so that each worker loads each model once.

/** What the queue needs to know of a pair. */
export interface WorkItem {
  /** Position in the grid's order: unique, and the last tie-breaker. */
  seq: number;
  /** Model index: pairs of one model are kept together. */
  model: number;
  /** Expected cost (estimated seconds). */
  cost: number;
}

/** The queue's order: model, then cost (highest first), then grid order. */
export function compareWork(a: WorkItem, b: WorkItem): number {
  return a.model - b.model || b.cost - a.cost || a.seq - b.seq;
}

/**
 * Pairs waiting to run, in {@link compareWork} order. A pair given back (its worker died) goes
 * back to its place.
 * @example const queue = new WorkQueue(items); const next = queue.take(() => true);
 */
export class WorkQueue<T extends WorkItem> {
  private readonly items: T[];
  private head = 0;

  constructor(items: Iterable<T>) {
    this.items = [...items].sort(compareWork);
  }

  /** Pairs waiting. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** The next pair, without taking it. */
  peek(): T | undefined {
    return this.items[this.head];
  }

  /**
   * Takes the next pair if `allowed(model)` says its model may be handed out now; otherwise
   * nothing (the caller waits, so the order is kept).
   */
  take(allowed: (model: number) => boolean = () => true): T | undefined {
    const next = this.items[this.head];
    if (!next || !allowed(next.model)) return undefined;
    this.head++;
    // Free the taken prefix now and then, so a long run does not keep every pair alive.
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return next;
  }

  /** Puts a pair back in its place. */
  giveBack(item: T): void {
    let lo = this.head;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareWork(this.items[mid]!, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    this.items.splice(lo, 0, item);
  }
}

/** A simulated schedule. */
export interface SimulatedSchedule {
  /** Time the last worker finishes. */
  makespan: number;
  /** Busy time of each worker. */
  loads: number[];
  /** No schedule can finish earlier: max(total / workers, longest pair). */
  lowerBound: number;
}

/**
 * List scheduling in virtual time: each pair, in the given order, goes to the worker that is free
 * first. With pairs sorted longest first this is what the pool does when the costs are right.
 * @example simulateSchedule([4, 1, 1, 1, 1], 2).makespan // 4 (longest first); in the order [1, 1, 1, 1, 4] it is 6
 */
export function simulateSchedule(costs: readonly number[], workers: number): SimulatedSchedule {
  if (!(Number.isInteger(workers) && workers >= 1)) throw new RangeError(`workers must be a positive integer, got ${workers}.`);
  const loads = new Array<number>(workers).fill(0);
  for (const cost of costs) {
    let best = 0;
    for (let w = 1; w < workers; w++) if (loads[w]! < loads[best]!) best = w;
    loads[best]! += cost;
  }
  const total = costs.reduce((s, c) => s + c, 0);
  return { makespan: Math.max(...loads), loads, lowerBound: Math.max(total / workers, ...costs, 0) };
}
