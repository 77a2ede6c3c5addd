// The `oracle` backend for tests and demos: answers each sample with its ideal output
// (the scorers' formatGold), or, for a seeded share of samples, with a corrupted one. The share
// may grow with the compression ratio, which gives demo reports the paper's shape of curve.
import { setTimeout as sleep } from 'node:timers/promises';
import { Random } from '../../generators/core/random.js';
import type { Sample } from '../../generators/core/sample.js';
import { formatGold } from '../../scorers/index.js';
import type { Backend, BackendRequest, Prediction } from '../types.js';
import type { BackendEntry } from './entry.js';

/** Options of the `oracle` backend. */
export interface OracleOptions {
  /** Share of samples answered wrongly, 0..1 (default 0). */
  corruptRate?: number;
  /** Added to corruptRate per unit of ln(compression ratio). */
  corruptPerLnCompression?: number;
  seed?: number | string;
  /** Simulated latency per request. */
  delayMs?: number;
  concurrency?: number;
}

/**
 * Shifts every letter and digit of a string to the next one in its class (a->b, z->a, 9->0),
 * so a corrupted answer keeps its format but never equals the original.
 * @example corruptText('Chapter 9: ab-Z') // 'Chbqufs 0: bc-A'
 */
export function corruptText(text: string): string {
  return text.replace(/[a-zA-Z0-9]/g, (c) => {
    if (c === 'z') return 'a';
    if (c === 'Z') return 'A';
    if (c === '9') return '0';
    return String.fromCharCode(c.charCodeAt(0) + 1);
  });
}

/** Whether the oracle corrupts this sample at this compression ratio (seeded, per sample). */
export function oracleCorrupts(sample: Pick<Sample, 'id'>, compression: number, options: OracleOptions): boolean {
  const rate = Math.min(1, (options.corruptRate ?? 0) + (options.corruptPerLnCompression ?? 0) * Math.log(Math.max(1, compression)));
  if (rate <= 0) return false;
  // One uniform draw per sample, shared by all compression ratios: the corrupted set only grows
  // as the ratio rises, as a real model's failures would.
  return new Random(`oracle/${String(options.seed ?? 0)}/${sample.id}`).next() < rate;
}

/** Answers with the gold target, or a corrupted one. */
export class OracleBackend implements Backend {
  readonly name = 'oracle';
  readonly concurrency: number;

  constructor(
    readonly model: string,
    private readonly options: OracleOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 16;
  }

  async generate(request: BackendRequest): Promise<Omit<Prediction, 'id'>> {
    if (this.options.delayMs) await sleep(this.options.delayMs, undefined, request.signal ? { signal: request.signal } : {});
    const { sample } = request;
    const compression = request.attention?.compression ?? 1;
    const corrupt = oracleCorrupts(sample, compression, this.options);
    const output = corrupt ? formatGold({ ...sample, target: sample.target.map(corruptText) }) : formatGold(sample);
    const prediction: Omit<Prediction, 'id'> = {
      output,
      finishReason: 'stop',
      usage: { promptTokens: sample.metadata.inputTokens, completionTokens: Math.ceil(output.length / 4) },
      latencyMs: this.options.delayMs ?? 0,
      backend: this.name,
      model: this.model,
    };
    if (request.attention) prediction.attention = { ...request.attention, sparsity: 1 - 1 / compression };
    return prediction;
  }
}

/** Registry entry of the `oracle` backend. */
export const oracleBackend: BackendEntry = {
  description: 'Answers with the gold target (formatGold), or a corrupted one at a seeded rate: tests and demos.',
  supportsAttention: true,
  check: () => [],
  create: (model) => Promise.resolve(new OracleBackend(model.name, (model.options ?? {}) as OracleOptions)),
};
