// The runner's `engine` backend: one sample in, one greedy prediction out, through the embedded
// engine. Requests run one at a time (the engine's worker serialises them anyway).
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { AttentionSetting, Backend, BackendRequest, Prediction } from '../types.js';
import type { ModelSpec as RecipeModel } from '../recipe/types.js';
import type { BackendContext } from '../backends/entry.js';
import type { ValidationIssue } from '../../schemas/index.js';
import { Engine, type EngineOptions } from './engine.js';
import { openCheckpoint } from './checkpoint/checkpoint.js';
import { resolveModelPath } from './checkpoint/builtin.js';
import { renderChat } from '../../generators/tokenizers/chat-template.js';
import { ATTENTION_METHODS, attentionMethod } from './attention/registry.js';
import { resolveAttention, SPARSE_METHODS } from './sparse/registry.js';
import { decodeTraffic, prefillCost as densePrefillCost, type CostShape } from './sparse/cost.js';
import { causalPairs, prefillSparsity } from './sparse/sparsity.js';
import { DEVICE_CHOICES, runtimeProfile } from './runtime/profile.js';
import { resolveDevice } from './runtime/resolve-device.js';
import type { Device, GenerationTimings } from './session/protocol.js';
import { median } from '../analysis/median.js';

/** Options of `createEngineBackend`. */
export interface EngineBackendOptions extends EngineOptions {
  /** Path of a Hugging Face checkpoint directory. */
  model: string;
  /** Model name recorded in predictions (default: the folder's name). */
  modelName?: string;
}

/** Sparse methods the engine runs, per phase: the attention plug-ins that take a budget (budgetInputs). */
export const ENGINE_SPARSE_METHODS = {
  prefill: Object.values(ATTENTION_METHODS).filter((m) => m.phase === 'prefill' && m.budgetInputs).map((m) => m.id),
  decode: Object.values(ATTENTION_METHODS).filter((m) => m.phase === 'decode' && m.budgetInputs).map((m) => m.id),
} as const;

/** What one request runs: which graphs, the budgets fed to them, and what the prediction records. */
export interface EnginePlan {
  /** Engine key: `prefill/decode` graph methods (dense at C = 1). */
  key: string;
  prefill: string;
  decode: string;
  /** int64 graph inputs of the budgets. */
  inputs: Record<string, number>;
  params: Record<string, unknown>;
  /** The setting's method parameters, given to the sparse graphs (a budget computed with a block size needs the graph built with it). */
  graphParams?: Record<string, unknown>;
  sparsity: number;
  executed: Record<string, number>;
}

/** A method's entry in runner/engine/sparse's registry, through the shape every entry shares. */
function costOf(id: string): (shape: CostShape, length: number, budget: unknown, compression: number) => { attention?: number; total?: number; kvCache?: number } {
  const method = (SPARSE_METHODS as Record<string, { cost: (...args: never[]) => unknown }>)[id];
  if (!method) throw new Error(`No cost model for attention method "${id}".`);
  return method.cost as never;
}

/**
 * Checks an attention setting against what the engine runs and turns it into a plan for a prompt of
 * `length` tokens: budgets from runner/engine/sparse (resolveAttention), effective sparsity from its
 * formulas, and the executed work from its cost models (prefill attention FLOPs, decode KV values read
 * per step). At C = 1 the dense graphs run (every budget covers the whole context).
 * @throws Error naming the methods the engine runs when the setting asks for another.
 * @example planAttention({ prefill: 'a-shape', decode: 'dense', compression: 2 }, spec, 1000).inputs // { 'attention.prefill.sink': 64, ... }
 */
export function planAttention(setting: AttentionSetting, shape: CostShape, length: number): EnginePlan {
  const allowed = `the engine runs prefill: dense, ${ENGINE_SPARSE_METHODS.prefill.join(', ')}; decode: dense, ${ENGINE_SPARSE_METHODS.decode.join(', ')}`;
  if (setting.prefill !== 'dense' && !ENGINE_SPARSE_METHODS.prefill.includes(setting.prefill)) {
    throw new Error(`Prefill attention "${setting.prefill}" is not available in the engine yet; ${allowed}.`);
  }
  if (setting.decode !== 'dense' && !ENGINE_SPARSE_METHODS.decode.includes(setting.decode)) {
    throw new Error(`Decode attention "${setting.decode}" is not available in the engine yet; ${allowed}.`);
  }
  const resolved = resolveAttention(setting, length);
  const sparse = setting.compression > 1;
  const prefill = sparse && resolved.prefill ? resolved.prefill : undefined;
  const decode = sparse && resolved.decode ? resolved.decode : undefined;
  const inputs: Record<string, number> = {};
  const executed: Record<string, number> = {};
  const params: Record<string, unknown> = { ...(setting.params ?? {}) };
  const prefillCost = prefill ? costOf(prefill.method)(shape, length, prefill.budget, setting.compression) : densePrefillCost(shape, length, 1);
  executed['prefillAttentionFlops'] = prefillCost.attention!;
  executed['prefillFlops'] = prefillCost.total!;
  if (prefill) {
    Object.assign(inputs, attentionMethod(prefill.method).budgetInputs!(prefill.budget));
    params['prefillBudget'] = prefill.budget;
    executed['prefillSparsity'] = prefill.sparsity;
  }
  const traffic = decode ? costOf(decode.method)(shape, length, decode.budget, setting.compression) : decodeTraffic(shape, length, 1);
  executed['decodeKvValuesPerStep'] = traffic.kvCache!;
  if (decode) {
    Object.assign(inputs, attentionMethod(decode.method).budgetInputs!(decode.budget));
    params['decodeBudget'] = decode.budget;
    executed['decodeSparsity'] = decode.sparsity;
  }
  const p = prefill?.method ?? 'dense';
  const d = decode?.method ?? 'dense';
  // The setting's method parameters (block size, scope, ...) shape the graphs, so they are part of the key.
  const graphParams = setting.params && Object.keys(setting.params).length && (prefill || decode) ? { ...setting.params } : undefined;
  return {
    key: `${p}/${d}${graphParams ? ` ${JSON.stringify(graphParams)}` : ''}`,
    prefill: p,
    decode: d,
    inputs,
    params,
    ...(graphParams ? { graphParams } : {}),
    sparsity: prefill?.sparsity ?? decode?.sparsity ?? 0,
    executed,
  };
}

/**
 * What a run measured, folded into its plan's record: a data-dependent prefill pattern (Vertical-Slash's
 * tiles, FlexPrefill's coverage) reports the causal pairs it attended (`keptPairs`, summed over layers,
 * heads and chunks), which gives the effective sparsity as the paper defines it (1 - kept / causal
 * pairs, mean over layers and query heads) and the attention FLOPs actually executed. The budget's
 * target stays in `prefillSparsityTarget`. With `gatheredPairs` (the query-key slots the gathered
 * attention computed, padding and masked slots included), `prefillGatheredDensity` is that work over
 * the causal pairs of dense attention.
 * @example measuredPlan(plan, spec, 4096, { keptPairs: 1.2e9 }).sparsity
 */
export function measuredPlan(plan: EnginePlan, shape: CostShape & { numLayers: number; numHeads: number }, length: number, stats: { keptPairs?: number; gatheredPairs?: number } | undefined): Pick<EnginePlan, 'sparsity' | 'executed'> {
  if (stats?.keptPairs === undefined || plan.prefill === 'dense') return { sparsity: plan.sparsity, executed: plan.executed };
  const sparsity = Math.max(0, prefillSparsity(stats.keptPairs / (shape.numLayers * shape.numHeads), length));
  const density = 1 - sparsity;
  const executed = { ...plan.executed };
  executed['prefillSparsityTarget'] = executed['prefillSparsity']!;
  executed['prefillSparsity'] = sparsity;
  const dense = densePrefillCost(shape, length, 1);
  const attention = dense.attention * density;
  executed['prefillFlops'] = executed['prefillFlops']! - executed['prefillAttentionFlops']! + attention;
  executed['prefillAttentionFlops'] = attention;
  if (stats.gatheredPairs !== undefined) executed['prefillGatheredDensity'] = stats.gatheredPairs / (shape.numLayers * shape.numHeads * causalPairs(length));
  return { sparsity, executed };
}

/** Milliseconds as recorded: to the microsecond (a tiny model's decode step is well under a millisecond). */
const ms = (value: number): number => Math.round(value * 1000) / 1000;

/**
 * The measured times a prediction records in `attention.executed`, the figures the report's speed
 * table compares against dense: the whole generation; for stepwise generation also the prefill, the
 * median decode step (robust to a step that does one-time work, such as freezing the cache into
 * blocks, and to pauses; the mean is (generationMs - prefillMs - compressMs) / (completionTokens - 1))
 * and the cache step between prefill and decoding. One-run generation has only the whole.
 * @example generationTimes({ generationMs: 30, prefillMs: 20, chunkMs: [20], decodeMs: [4, 3, 3] }) // { generationMs: 30, prefillMs: 20, decodeStepMs: 3 }
 */
export function generationTimes(timings: GenerationTimings): Record<string, number> {
  return {
    generationMs: ms(timings.generationMs),
    ...(timings.prefillMs !== undefined ? { prefillMs: ms(timings.prefillMs) } : {}),
    ...(timings.decodeMs.length > 0 ? { decodeStepMs: ms(median(timings.decodeMs)) } : {}),
    ...(timings.compressMs !== undefined ? { compressMs: ms(timings.compressMs) } : {}),
  };
}

/** Engine options of a plan's graphs on top of the model's own. */
function planOptions(base: EngineOptions, plan: EnginePlan): EngineOptions {
  if (plan.key === 'dense/dense') return base;
  const { singleGraph: _single, ...rest } = base;
  const profile = runtimeProfile(base.device === undefined || base.device === 'auto' ? 'cpu' : base.device);
  // One-run generation decodes inside its own loop, dense over the prefilled cache, on any device
  // (generation: 'one-run' forced on the CPU or WebGPU too); stepwise graphs take the profile's form.
  const denseDecode = { method: (base.generation ?? profile.generation) === 'one-run' ? 'dense' : profile.denseDecodeBesideSparsePrefill };
  return {
    ...rest,
    attention: plan.prefill === 'dense' ? (base.attention ?? { method: 'dense' }) : { method: plan.prefill, ...(plan.graphParams ? { params: plan.graphParams } : {}) },
    decodeAttention: plan.decode === 'dense' ? (base.decodeAttention ?? denseDecode) : { method: plan.decode, ...(plan.graphParams ? { params: plan.graphParams } : {}) },
  };
}

/** Recipe `options` of an engine model, as the run recipe writes them. */
const OPTION_KEYS = {
  path: 'checkpoint directory (relative to the recipe) or a builtin model ("builtin:tiny"); default: the model name',
  device: '"auto" (default: CUDA where usable, else WebGPU, else the CPU), "cpu", "webgpu" or "cuda"',
  precision: '"fp32" or "fp16" (default fp16 on cuda and webgpu, fp32 on cpu)',
  chunkSize: 'prefill chunk length in tokens (default 4096)',
  prefillStages: 'run each prefill chunk as this many graphs over consecutive layers (default 1): lower peak memory for sparse prefill at long contexts',
  maxLength: 'longest context the graph serves (default: the context limit)',
  yarnFactor: 'YaRN factor over max_position_embeddings (Qwen2.5 beyond 32k)',
  cacheDir: 'graph cache folder',
  singleGraph: 'one graph for prefill and decode (weights held once; slower decode on WebGPU)',
  matmulPrecision: '"fp32" (default: fp16 weights, fp32 accumulation) or "fp16" (WebGPU\'s fp16 MatMul accumulates in fp16) for fp16 graphs',
  weightCasts: 'with fp32 MatMuls: "folded" (default: sessions hold fp32 weights), "decode-folded" (only the decode session) or "runtime" (cast every run; weights held once in fp16, slow)',
  generation: '"stepwise" (a session run per prefill chunk and decode step; default on cpu and webgpu) or "one-run" (a whole generation in one run, CUDA\'s form; default on cuda)',
} as const;
const WEIGHT_CASTS = ['runtime', 'decode-folded', 'folded'] as const;
const GENERATION_FORMS = ['stepwise', 'one-run'] as const;

function recipeOptions(model: RecipeModel, context: BackendContext): EngineBackendOptions {
  const o = model.options ?? {};
  const path = typeof o['path'] === 'string' ? o['path'] : model.name;
  return {
    model: resolveModelPath(path, context.baseDir),
    modelName: model.name,
    device: DEVICE_CHOICES.includes(o['device'] as never) ? (o['device'] as (typeof DEVICE_CHOICES)[number]) : 'auto',
    ...(o['precision'] === 'fp16' || o['precision'] === 'fp32' ? { precision: o['precision'] } : {}),
    ...(typeof o['chunkSize'] === 'number' ? { chunkSize: o['chunkSize'] } : {}),
    ...(typeof o['prefillStages'] === 'number' ? { prefillStages: o['prefillStages'] } : {}),
    ...(typeof o['maxLength'] === 'number' ? { maxLength: o['maxLength'] } : {}),
    ...(typeof o['yarnFactor'] === 'number' ? { yarnFactor: o['yarnFactor'] } : {}),
    ...(typeof o['cacheDir'] === 'string' ? { cacheDir: resolve(context.baseDir, o['cacheDir']) } : {}),
    ...(o['singleGraph'] === true ? { singleGraph: true } : {}),
    ...(o['matmulPrecision'] === 'fp16' || o['matmulPrecision'] === 'fp32' ? { matmulPrecision: o['matmulPrecision'] } : {}),
    ...(WEIGHT_CASTS.includes(o['weightCasts'] as never) ? { weightCasts: o['weightCasts'] as (typeof WEIGHT_CASTS)[number] } : {}),
    ...(GENERATION_FORMS.includes(o['generation'] as never) ? { generation: o['generation'] as (typeof GENERATION_FORMS)[number] } : {}),
    log: (line) => void process.stderr.write(`${line}\n`),
  };
}

/**
 * Checks a recipe model's engine options before a run starts: known keys, their types, and that the
 * checkpoint exists and is one the engine can run. Paths in issues are relative to `options`.
 * @example await checkEngineOptions({ path: 'models/qwen', device: 'webgpu' }, { baseDir: '.', env: {} }) // []
 */
export function checkEngineOptions(options: Record<string, unknown>, context: BackendContext): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const issue = (path: string, message: string): void => void issues.push({ path, rule: 'engine', message });
  for (const key of Object.keys(options)) if (!(key in OPTION_KEYS)) issue(key, `unknown engine option; allowed: ${Object.keys(OPTION_KEYS).join(', ')}`);
  if (options['device'] !== undefined && !DEVICE_CHOICES.includes(options['device'] as never)) issue('device', `must be ${DEVICE_CHOICES.map((d) => `"${d}"`).join(', ')}, got ${JSON.stringify(options['device'])}`);
  if (options['precision'] !== undefined && options['precision'] !== 'fp16' && options['precision'] !== 'fp32') issue('precision', `must be "fp16" or "fp32", got ${JSON.stringify(options['precision'])}`);
  for (const key of ['chunkSize', 'maxLength', 'prefillStages'] as const) {
    const v = options[key];
    if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v > 0)) issue(key, `must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if (options['matmulPrecision'] !== undefined && options['matmulPrecision'] !== 'fp16' && options['matmulPrecision'] !== 'fp32') issue('matmulPrecision', `must be "fp16" or "fp32", got ${JSON.stringify(options['matmulPrecision'])}`);
  if (options['weightCasts'] !== undefined && !WEIGHT_CASTS.includes(options['weightCasts'] as never)) issue('weightCasts', `must be one of ${WEIGHT_CASTS.map((w) => `"${w}"`).join(', ')}, got ${JSON.stringify(options['weightCasts'])}`);
  if (options['generation'] !== undefined && !GENERATION_FORMS.includes(options['generation'] as never)) issue('generation', `must be ${GENERATION_FORMS.map((f) => `"${f}"`).join(' or ')}, got ${JSON.stringify(options['generation'])}`);
  if (options['singleGraph'] !== undefined && typeof options['singleGraph'] !== 'boolean') issue('singleGraph', `must be true or false, got ${JSON.stringify(options['singleGraph'])}`);
  if (options['yarnFactor'] !== undefined && !(typeof options['yarnFactor'] === 'number' && options['yarnFactor'] > 1)) issue('yarnFactor', `must be a number greater than 1, got ${JSON.stringify(options['yarnFactor'])}`);
  if (typeof options['path'] === 'string') {
    let dir: string | undefined;
    try {
      dir = resolveModelPath(options['path'], context.baseDir);
    } catch (error) {
      issue('path', (error as Error).message);
    }
    if (dir === undefined) {
      // the builtin name's error is already reported
    } else if (!existsSync(join(dir, 'config.json'))) issue('path', `${dir} has no config.json (a Hugging Face checkpoint directory is required)`);
    else {
      try {
        openCheckpoint(dir);
      } catch (error) {
        issue('path', (error as Error).message);
      }
    }
  } else if (options['path'] !== undefined) issue('path', 'must be a string');
  return issues;
}

/**
 * Creates the engine backend for a local checkpoint (builds or reuses its graph, starts the
 * session). Takes either the runner's recipe model and context (the backend registry's contract)
 * or engine options directly.
 * @throws UnsupportedConfigError naming the config field the engine can't run.
 * @example const backend = await createEngineBackend({ model: '/models/Qwen2.5-7B-Instruct', device: 'webgpu' })
 */
export async function createEngineBackend(spec: EngineBackendOptions | RecipeModel, context?: BackendContext): Promise<Backend> {
  const options = 'backend' in spec ? recipeOptions(spec, context ?? { baseDir: process.cwd(), env: {} }) : spec;
  const { modelName, ...engineOptions } = options;
  // What predictions record as the device (Engine.load runs the CPU provider when none is named).
  let device: Device = engineOptions.device === undefined || engineOptions.device === 'auto' ? 'cpu' : engineOptions.device;
  if (engineOptions.device === 'auto') {
    // Resolved once: every graph of the run (dense, each sparse plan) runs on the same device.
    const choice = await resolveDevice('auto');
    engineOptions.log?.(`engine: ${choice.reason}`);
    engineOptions.device = device = choice.device;
  }
  const model = resolveModelPath(options.model);
  // One engine at a time: the dense one, or the graphs of a sparse plan (loaded on first use; the
  // previous one is closed so weights are not held twice). Requests are serialised.
  let current: { key: string; engine: Engine } = { key: 'dense/dense', engine: await Engine.load(model, engineOptions) };
  let queue: Promise<unknown> = Promise.resolve();
  const engineFor = async (plan: EnginePlan): Promise<Engine> => {
    if (current.key !== plan.key) {
      await current.engine.close();
      current = { key: plan.key, engine: await Engine.load(model, planOptions(engineOptions, plan)) };
    }
    return current.engine;
  };
  const name = modelName ?? basename(model.replace(/\/+$/, ''));
  // One-run generation times only the whole generation. The first request of each attention
  // setting and prompt length (a cell, as the exact-to-the-token datasets make them) also runs a
  // one-token generation of its prompt, once the graph is warm: its time is the prefill (time to the
  // first token), recorded as that prediction's executed.prefillMs, so the report can split every
  // sample of the cell into prefill and decode steps. One extra prefill per cell.
  const prefillTimed = new Set<string>();
  const generate = async (request: BackendRequest): Promise<Omit<Prediction, 'id'>> => {
    const started = performance.now();
    const attention = { prefill: 'dense', decode: 'dense', compression: 1, ...(request.attention ?? {}) };
    try {
      if (request.signal?.aborted) throw new Error('Aborted before the request started.');
      const tok = current.engine.tokenizer;
      const messages = request.sample.messages.length ? request.sample.messages : [{ role: 'user' as const, content: request.sample.input }];
      let text = tok.chatTemplate ? renderChat(tok.chatTemplate, messages) : messages.map((m) => m.content).join('\n');
      if (request.sample.answerPrefix) text += request.sample.answerPrefix;
      const promptIds = tok.encode(text);
      const plan = planAttention(attention, current.engine.spec, promptIds.length);
      const engine = await engineFor(plan);
      const result = await engine.generateIds(promptIds, request.maxOutputTokens, Object.keys(plan.inputs).length ? { attentionInputs: plan.inputs } : {});
      const stops = new Set(engine.stopTokenIds);
      const outputIds = result.finishReason === 'stop' && stops.has(result.tokens.at(-1)!) ? result.tokens.slice(0, -1) : result.tokens;
      const measured = measuredPlan(plan, engine.spec, promptIds.length, result.attentionStats);
      const times = generationTimes(result.timings);
      const cell = `${plan.key} ${attention.compression} ${JSON.stringify(plan.params)} ${promptIds.length}`;
      if (result.timings.prefillMs === undefined && !prefillTimed.has(cell)) {
        const first = await engine.generateIds(promptIds, 1, Object.keys(plan.inputs).length ? { attentionInputs: plan.inputs } : {});
        times['prefillMs'] = ms(first.timings.generationMs);
        prefillTimed.add(cell);
      }
      return {
        output: tok.decode(outputIds),
        finishReason: result.finishReason,
        usage: { promptTokens: promptIds.length, completionTokens: result.tokens.length },
        latencyMs: Math.round(performance.now() - started),
        backend: 'engine',
        model: name,
        device,
        // Stepwise sessions time the prefill apart; a one-run generation has no separate prefill.
        generation: result.timings.prefillMs !== undefined ? 'stepwise' : 'one-run',
        attention: {
          ...attention,
          ...(Object.keys(plan.params).length ? { params: plan.params } : {}),
          sparsity: measured.sparsity,
          executed: { ...measured.executed, ...times },
        },
      };
    } catch (error) {
      return {
        output: '',
        finishReason: 'error',
        error: error instanceof Error ? error.message : String(error),
        latencyMs: Math.round(performance.now() - started),
        backend: 'engine',
        model: name,
        attention,
      };
    }
  };
  return {
    name: 'engine',
    model: name,
    generate(request: BackendRequest): Promise<Omit<Prediction, 'id'>> {
      const next = queue.then(() => generate(request));
      queue = next.catch(() => undefined);
      return next;
    },
    close: async () => {
      await queue;
      await current.engine.close();
    },
  };
}
