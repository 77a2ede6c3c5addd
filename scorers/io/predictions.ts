// Reading predictions.jsonl, ours and other harnesses'. Our fields are read as written; common
// aliases are mapped onto them:
//   RULER           index -> id (matched by position when no sample has that id), pred -> output;
//                   RULER's `outputs` holds the references, not the output: it is ignored.
//   lm-eval         doc_id -> id (doc.id when the logged doc has a string id; else by position),
//                   resps[0][0] -> output (resps is a list of lists), filtered_resps[0] as fallback.
//   OpenAI-style    finish_reason -> finishReason, reasoning_content -> reasoning.
// Other fields are ignored. The result is validated against schemas/prediction.schema.json.
import type { Prediction } from '../../schemas/prediction.js';
import { assertValid } from '../../schemas/index.js';
import { InputFileError } from './errors.js';
import { readJsonl } from './jsonl.js';

/** Which field gave the prediction its id. */
export type IdSource = 'id' | 'index' | 'doc_id' | 'doc.id';

/** A prediction as read, with where it came from. */
export interface LoadedPrediction {
  prediction: Prediction;
  idSource: IdSource;
  /** For numeric `index` / `doc_id`: the position to match when no sample has the id. */
  position?: number;
  file: string;
  line: number;
}

const OUR_FIELDS = ['reasoning', 'finishReason', 'usage', 'latencyMs', 'error', 'backend', 'model', 'attention'] as const;

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/**
 * Maps one raw line (ours or an alias format) to a Prediction and validates it.
 * @throws InputFileError or SchemaError naming file, line and field.
 * @example normalizePrediction({ index: 3, pred: 'x' }, 'p.jsonl', 1).prediction // { id: '3', output: 'x' }
 */
export function normalizePrediction(raw: Record<string, unknown>, file: string, line: number): LoadedPrediction {
  const fail = (field: string, problem: string): never => {
    throw new InputFileError(file, line, field, problem);
  };
  let id: string | undefined;
  let idSource: IdSource = 'id';
  let position: number | undefined;
  if ('id' in raw) {
    if (typeof raw['id'] !== 'string' || raw['id'] === '') fail('id', `must be a non-empty string, got ${typeName(raw['id'])}`);
    id = raw['id'] as string;
  } else if ('index' in raw || 'doc_id' in raw) {
    const field = 'index' in raw ? 'index' : 'doc_id';
    const value = raw[field];
    const doc = raw['doc'];
    const docId = field === 'doc_id' && typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)['id'] : undefined;
    if (typeof docId === 'string' && docId !== '') {
      id = docId;
      idSource = 'doc.id';
    } else if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
      id = String(value);
      idSource = field;
      position = value;
    } else if (typeof value === 'string' && value !== '') {
      id = value;
      idSource = field;
    } else {
      fail(field, `must be a non-negative integer or a non-empty string, got ${typeName(value)}`);
    }
  } else {
    fail('id', 'is required (or one of its aliases: index, doc_id)');
  }

  let output: string | undefined;
  if ('output' in raw) {
    if (typeof raw['output'] !== 'string') fail('output', `must be a string, got ${typeName(raw['output'])}`);
    output = raw['output'] as string;
  } else if ('pred' in raw) {
    if (typeof raw['pred'] !== 'string') fail('pred', `must be a string, got ${typeName(raw['pred'])}`);
    output = raw['pred'] as string;
  } else if ('resps' in raw) {
    const resps = raw['resps'];
    const first = Array.isArray(resps) ? resps[0] : undefined;
    const text = Array.isArray(first) ? first[0] : undefined;
    if (typeof text !== 'string') fail('resps', `must be a list of lists of strings (lm-eval's resps), got ${Array.isArray(resps) ? `[${typeName(first)}${Array.isArray(first) ? ` of ${typeName(text)}` : ''}]` : typeName(resps)}`);
    output = text as string;
  } else if ('filtered_resps' in raw) {
    const f = raw['filtered_resps'];
    const text = Array.isArray(f) ? f[0] : undefined;
    if (typeof text !== 'string') fail('filtered_resps', `must be a list of strings, got ${typeName(f)}`);
    output = text as string;
  } else if ('outputs' in raw) {
    fail('outputs', 'holds RULER\'s references, not the model output; the output field is "pred" (or "output")');
  } else {
    fail('output', 'is required (or one of its aliases: pred, resps, filtered_resps)');
  }

  const prediction: Record<string, unknown> = { id, output };
  for (const field of OUR_FIELDS) if (field in raw) prediction[field] = raw[field];
  if (!('finishReason' in raw) && 'finish_reason' in raw) prediction['finishReason'] = raw['finish_reason'];
  if (!('reasoning' in raw) && 'reasoning_content' in raw) prediction['reasoning'] = raw['reasoning_content'];
  const valid = assertValid<Prediction>('prediction', prediction, `${file}:${line}`);
  return { prediction: valid, idSource, ...(position !== undefined ? { position } : {}), file, line };
}

/**
 * Reads a predictions file (ours, RULER's or lm-eval's). Ids must be unique.
 * @throws InputFileError / SchemaError naming file, line and field.
 * @example const predictions = await readPredictions('runs/x/predictions.jsonl')
 */
export async function readPredictions(file: string): Promise<LoadedPrediction[]> {
  const out: LoadedPrediction[] = [];
  const seen = new Map<string, number>();
  for await (const { line, value } of readJsonl(file)) {
    const loaded = normalizePrediction(value as Record<string, unknown>, file, line);
    const previous = seen.get(loaded.prediction.id);
    if (previous !== undefined) throw new InputFileError(file, line, loaded.idSource, `repeats id ${JSON.stringify(loaded.prediction.id)} first used on line ${previous}`);
    seen.set(loaded.prediction.id, line);
    out.push(loaded);
  }
  return out;
}
