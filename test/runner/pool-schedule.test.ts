// The pooled run's scheduler and cost model: order (model, then longest first), a queue that
// keeps its order when pairs come back, balance of longest-first list scheduling, and expected
// costs that grow with the prompt and fall with sparse attention.
import { describe, expect, it } from 'vitest';
import { Random } from '../../generators/core/random.js';
import { DEFAULT_RATES, REFERENCE_CONFIG, expectedSeconds, pairCost, proxyCost } from '../../runner/pool/cost.js';
import { WorkQueue, compareWork, simulateSchedule, type WorkItem } from '../../runner/pool/schedule.js';
import type { AttentionSetting } from '../../runner/types.js';

const dense: AttentionSetting = { prefill: 'dense', decode: 'dense', compression: 1 };

describe('work order', () => {
  it('sorts by model, then cost (highest first), then grid order', () => {
    const items: WorkItem[] = [
      { seq: 0, model: 1, cost: 5 },
      { seq: 1, model: 0, cost: 1 },
      { seq: 2, model: 0, cost: 9 },
      { seq: 3, model: 0, cost: 1 },
      { seq: 4, model: 1, cost: 7 },
    ];
    expect([...items].sort(compareWork).map((i) => i.seq)).toEqual([2, 1, 3, 4, 0]);
  });

  it('takes in order, waits when the next model is not allowed, and puts given-back pairs in their place', () => {
    const queue = new WorkQueue<WorkItem>([
      { seq: 0, model: 0, cost: 3 },
      { seq: 1, model: 0, cost: 2 },
      { seq: 2, model: 1, cost: 8 },
      { seq: 3, model: 0, cost: 1 },
    ]);
    expect(queue.size).toBe(4);
    const first = queue.take()!;
    const second = queue.take()!;
    expect([first.seq, second.seq]).toEqual([0, 1]);
    queue.giveBack(first);
    expect(queue.peek()?.seq).toBe(0);
    expect(queue.take()?.seq).toBe(0);
    expect(queue.take()?.seq).toBe(3);
    // Model 1 is being opened elsewhere: the queue makes the caller wait instead of reordering.
    expect(queue.take((model) => model !== 1)).toBeUndefined();
    expect(queue.size).toBe(1);
    expect(queue.take((model) => model === 1)?.seq).toBe(2);
    expect(queue.take()).toBeUndefined();
    expect(queue.size).toBe(0);
  });
});

describe('balance', () => {
  it('list scheduling longest-first finishes within 4/3 of the lower bound, and earlier than grid order', () => {
    expect(simulateSchedule([4, 1, 1, 1, 1], 2)).toEqual({ makespan: 4, loads: [4, 4], lowerBound: 4 });
    expect(simulateSchedule([1, 1, 1, 1, 4], 2).makespan).toBe(6);

    // A paper-like grid: 4 lengths from 8K to 64K, 3 attention settings, 10 samples each, with
    // costs from the model (quadratic prefill + decode), in grid order (lengths ascending).
    const rng = new Random('pool-balance');
    const costs: number[] = [];
    for (const length of [8192, 16384, 32768, 65536]) {
      for (const density of [1, 0.2, 0.05]) {
        for (let s = 0; s < 10; s++) costs.push(proxyCost(length * (0.98 + 0.04 * rng.next()), 64) * (density === 1 ? 1 : 0.5 + density));
      }
    }
    for (const workers of [2, 3, 8]) {
      const gridOrder = simulateSchedule(costs, workers);
      const longestFirst = simulateSchedule([...costs].sort((a, b) => b - a), workers);
      expect(longestFirst.makespan).toBeLessThanOrEqual((4 / 3 - 1 / (3 * workers)) * longestFirst.lowerBound + 1e-9);
      expect(longestFirst.makespan).toBeLessThan(gridOrder.makespan);
      // Workers finish together: the busiest worker's last pair started when it was the least
      // busy, so the spread is below one pair, and well below grid order's.
      const spread = (loads: number[]): number => Math.max(...loads) - Math.min(...loads);
      expect(spread(longestFirst.loads)).toBeLessThan(spread(gridOrder.loads));
      expect(spread(longestFirst.loads)).toBeLessThanOrEqual(Math.max(...costs));
    }
  });

  it('rejects a worker count that is not a positive integer', () => {
    expect(() => simulateSchedule([1], 0)).toThrow('workers must be a positive integer, got 0.');
  });
});

describe('expected cost', () => {
  it('turns FLOPs and bytes into seconds with the given rates', () => {
    expect(expectedSeconds({ prefillFlops: 13e12, decodeBytesPerStep: 2e9 }, 100)).toBeCloseTo(1 + 100 * (0.001 + 0.002), 12);
    expect(expectedSeconds({ prefillFlops: 1e12, decodeBytesPerStep: 0 }, 0, { ...DEFAULT_RATES, prefillFlopsPerSecond: 1e12 })).toBe(1);
    expect(proxyCost(16384, 0)).toBe(32768);
  });

  it("follows the Appendix B model: quadratic in the prompt, less with sparse prefill, more with output tokens", async () => {
    const cost = await pairCost([{ name: 'llama-8b-like', backend: 'openai' }], '/');
    const at = (length: number, out = 0, attention = dense): number => cost(0, length, out, attention);
    // Llama-3.1-8B shape: prefill FLOPs per the engine's prefillFlops, at 13 TFLOP/s.
    const d = 4096, N = 32, h = 32, dh = 128, kv = 8, mlp = 14336, V = 128256, L = 32768;
    const flops = 2 * L * d + N * (2 * L * d * (2 * d + 2 * dh * kv) + (4 * h * L * L * dh + 3 * h * L * L)) + N * (6 * L * d * mlp + 2 * L * mlp) + 2 * L * d * V;
    expect(at(L)).toBeCloseTo(flops / 13e12, 9);
    expect(at(65536) / at(32768)).toBeGreaterThan(2.2);
    expect(at(32768, 0, { prefill: 'vertical-slash', decode: 'dense', compression: 10 })).toBeLessThan(at(32768) * 0.6);
    expect(at(32768, 256)).toBeGreaterThan(at(32768) + 256 * DEFAULT_RATES.decodeStepSeconds);
    expect(REFERENCE_CONFIG['num_hidden_layers']).toBe(32);
  });
});
