// The `replay` backend: answers from a file of earlier predictions, so a run can be re-scored or
// re-reported without a model. Reads ours (`id`, `output`), RULER's (`index`, `pred`) and
// lm-eval-harness's (`doc_id`, `resps` / `filtered_resps`) lines.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { readJsonl } from '../jsonl/read-lines.js';
import type { ModelSpec } from '../recipe/types.js';
import type { Backend, BackendRequest, Prediction } from '../types.js';
import { BackendFailure, type BackendContext, type BackendEntry } from './entry.js';

/** Options of the `replay` backend. */
export interface ReplayOptions {
  /** Path of the predictions file. */
  predictions: string;
  concurrency?: number;
}

type Stored = Omit<Prediction, 'id'>;

function attentionSignature(attention: { prefill: string; decode: string; compression: number } | undefined): string {
  return attention ? `${attention.prefill}|${attention.decode}|${attention.compression}` : '';
}

function firstString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return firstString(value[0]);
  return undefined;
}

/**
 * Converts one line of a predictions file to (id, prediction); undefined for lines that hold no
 * answer (failed requests).
 * @example normalizePredictionLine({ index: 3, pred: 'x' }) // { id: '3', prediction: { output: 'x' } }
 */
export function normalizePredictionLine(line: Record<string, unknown>): { id: string; prediction: Stored & { attentionKey: string } } | undefined {
  const rawId = line['id'] ?? line['index'] ?? line['doc_id'];
  if (typeof rawId !== 'string' && typeof rawId !== 'number') return undefined;
  if (typeof line['error'] === 'string') return undefined;
  const output = firstString(line['output']) ?? firstString(line['pred']) ?? firstString(line['filtered_resps']) ?? firstString(line['resps']);
  if (output === undefined) return undefined;
  const prediction: Stored & { attentionKey: string } = { output, attentionKey: attentionSignature(line['attention'] as never) };
  if (typeof line['reasoning'] === 'string') prediction.reasoning = line['reasoning'];
  if (typeof line['finishReason'] === 'string') prediction.finishReason = line['finishReason'];
  if (line['usage'] && typeof line['usage'] === 'object') prediction.usage = line['usage'] as NonNullable<Prediction['usage']>;
  if (typeof line['latencyMs'] === 'number') prediction.latencyMs = line['latencyMs'];
  return { id: String(rawId), prediction };
}

/** Answers from a predictions file loaded in memory. */
export class ReplayBackend implements Backend {
  readonly name = 'replay';
  readonly concurrency: number;

  private constructor(
    readonly model: string,
    private readonly byKey: Map<string, Stored>,
    concurrency: number | undefined,
    private readonly file: string,
  ) {
    this.concurrency = concurrency ?? 64;
  }

  /** Loads the file; later lines for the same sample and setting win. */
  static async load(model: string, file: string, concurrency?: number): Promise<ReplayBackend> {
    const byKey = new Map<string, Stored>();
    for await (const { value } of readJsonl<Record<string, unknown>>(file)) {
      const entry = normalizePredictionLine(value);
      if (!entry) continue;
      const { attentionKey, ...prediction } = entry.prediction;
      byKey.set(`${entry.id}\u0000${attentionKey}`, prediction);
      // Lines without a setting, or the first seen, also answer by id alone.
      if (attentionKey === '' || !byKey.has(`${entry.id}\u0000`)) byKey.set(`${entry.id}\u0000`, prediction);
    }
    return new ReplayBackend(model, byKey, concurrency, file);
  }

  generate(request: BackendRequest): Promise<Omit<Prediction, 'id'>> {
    const id = request.sample.id;
    const setting = request.attention ? attentionSignature(request.attention) : '';
    const stored = this.byKey.get(`${id}\u0000${setting}`) ?? this.byKey.get(`${id}\u0000`);
    if (!stored) return Promise.reject(new BackendFailure(`no prediction for sample ${id} in ${this.file}`, 1));
    const prediction: Omit<Prediction, 'id'> = { ...stored, backend: this.name, model: this.model };
    if (request.attention) prediction.attention = { ...request.attention };
    return Promise.resolve(prediction);
  }
}

/** Registry entry of the `replay` backend. */
export const replayBackend: BackendEntry = {
  description: 'Answers from an earlier predictions file (ours, RULER or lm-eval format): re-scoring and demos.',
  supportsAttention: true,
  check: (options, context: BackendContext) => {
    const file = (options as Partial<ReplayOptions>).predictions;
    if (typeof file === 'string' && !existsSync(resolve(context.baseDir, file))) {
      return [{ path: '/predictions', rule: 'file', message: `names ${resolve(context.baseDir, file)}, which does not exist` }];
    }
    return [];
  },
  create: (model: ModelSpec, context: BackendContext) => {
    const options = (model.options ?? {}) as unknown as ReplayOptions;
    return ReplayBackend.load(model.name, resolve(context.baseDir, options.predictions), options.concurrency);
  },
};
