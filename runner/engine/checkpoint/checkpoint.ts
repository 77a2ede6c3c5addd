// A Hugging Face checkpoint directory: config.json, model.safetensors or shards listed in
// model.safetensors.index.json, tokenizer files and generation_config.json (stop tokens).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseConfig, type ModelSpec } from './config.js';
import { resolveModelPath } from './builtin.js';
import { readSafetensorsHeader, readTensorBytes, type TensorEntry } from './safetensors.js';
import type { ElementType } from '../dtype.js';

/** A tensor as read from a checkpoint. */
export interface RawTensor {
  dtype: ElementType;
  shape: number[];
  bytes: Uint8Array;
}

/** Where the engine reads weights from: a checkpoint on disk or a synthetic source. */
export interface WeightSource {
  /** Names and shapes of every tensor. */
  entries(): Map<string, { dtype: ElementType; shape: number[] }>;
  /** One tensor's bytes. */
  read(name: string): RawTensor;
  /** A string that changes whenever any weight changes (for the graph cache key). */
  fingerprint(): string;
  /**
   * Optional shortcut: linear layers already packed as `[in, sum(out)]` in dtype `to` (synthetic
   * sources skip the transposition, which costs minutes at 7B scale).
   */
  packedLinear?(names: readonly string[], to: ElementType): { bytes: Uint8Array; rows: number; cols: number } | null;
}

/** A loaded checkpoint directory. */
export interface Checkpoint {
  dir: string;
  config: Record<string, unknown>;
  spec: ModelSpec;
  weights: WeightSource;
  /** Stop tokens: config.json's and generation_config.json's eos_token_id. */
  stopTokenIds: number[];
  /** Whether tokenizer.json is present. */
  hasTokenizer: boolean;
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Weights spread over one or more safetensors files. */
export class SafetensorsSource implements WeightSource {
  private readonly tensors = new Map<string, TensorEntry>();
  private readonly files: string[];

  constructor(files: readonly string[]) {
    this.files = [...files];
    for (const file of files) for (const [name, entry] of readSafetensorsHeader(file)) this.tensors.set(name, entry);
  }

  entries(): Map<string, { dtype: ElementType; shape: number[] }> {
    return new Map([...this.tensors].map(([name, e]) => [name, { dtype: e.dtype, shape: e.shape }]));
  }

  read(name: string): RawTensor {
    const entry = this.tensors.get(name);
    if (!entry) throw new Error(`Checkpoint has no tensor "${name}" (files: ${this.files.join(', ')}).`);
    return { dtype: entry.dtype, shape: entry.shape, bytes: readTensorBytes(entry) };
  }

  fingerprint(): string {
    const hash = createHash('sha256');
    for (const file of this.files) {
      const st = statSync(file);
      hash.update(`${resolve(file)}|${st.size}|${st.mtimeMs}\n`);
    }
    for (const [name, e] of [...this.tensors].sort(([a], [b]) => a.localeCompare(b))) hash.update(`${name}:${e.dtype}:${e.shape}:${e.begin}\n`);
    return hash.digest('hex');
  }
}

/**
 * Opens a checkpoint directory, or a builtin model by name (`builtin:tiny`).
 * @throws Error naming the missing file, or UnsupportedConfigError naming a config field.
 * @example const ckpt = openCheckpoint('/models/Qwen2.5-7B-Instruct'); ckpt.spec.numLayers // 28
 */
export function openCheckpoint(dir: string): Checkpoint {
  const root = resolveModelPath(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`Checkpoint ${dir}: not a directory.`);
  const configFile = join(root, 'config.json');
  if (!existsSync(configFile)) throw new Error(`Checkpoint ${dir}: config.json is missing.`);
  const config = readJson(configFile);
  const spec = parseConfig(config);

  const index = join(root, 'model.safetensors.index.json');
  let files: string[];
  if (existsSync(join(root, 'model.safetensors'))) {
    files = [join(root, 'model.safetensors')];
  } else if (existsSync(index)) {
    const map = readJson(index)['weight_map'];
    if (!map || typeof map !== 'object') throw new Error(`${index}: "weight_map" is missing.`);
    files = [...new Set(Object.values(map as Record<string, string>))].sort().map((f) => join(root, f));
    for (const f of files) if (!existsSync(f)) throw new Error(`${index} lists ${f}, which does not exist.`);
  } else {
    throw new Error(`Checkpoint ${dir}: neither model.safetensors nor model.safetensors.index.json is present (the engine reads safetensors only).`);
  }
  const weights = new SafetensorsSource(files);

  const stop = new Set(spec.eosTokenIds);
  const generationFile = join(root, 'generation_config.json');
  if (existsSync(generationFile)) {
    const eos = readJson(generationFile)['eos_token_id'];
    for (const id of typeof eos === 'number' ? [eos] : Array.isArray(eos) ? eos : []) if (typeof id === 'number') stop.add(id);
  }
  return { dir: root, config, spec, weights, stopTokenIds: [...stop], hasTokenizer: existsSync(join(root, 'tokenizer.json')) };
}
