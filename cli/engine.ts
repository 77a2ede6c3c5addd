// `longweave engine info|generate`: what a checkpoint is and what it needs, and a quick manual
// generation through the embedded engine.
import type { Argv, CommandModule } from 'yargs';
import { openCheckpoint } from '../runner/engine/checkpoint/checkpoint.js';
import { contextLimit, parameterCount, UnsupportedConfigError } from '../runner/engine/checkpoint/config.js';
import { memoryNeeded, oneRunMemory } from '../runner/engine/cost.js';
import { Engine, withYarn } from '../runner/engine/engine.js';
import { defaultCacheDir, listGraphCache, pruneGraphCache } from '../runner/engine/graph/graph-cache.js';
import type { GraphSettings } from '../runner/engine/graph/model-graph.js';
import { CliError } from './errors.js';
import { benchCommand } from './engine-bench.js';
import { doctorCommand } from './engine-doctor.js';
import { installCommand, uninstallCommand } from './engine-install.js';

interface InfoArgs {
  model: string;
  length?: number;
  yarn?: number;
  json: boolean;
}

interface GenerateArgs {
  model: string;
  prompt: string;
  device: 'cpu' | 'webgpu' | 'cuda';
  'max-tokens': number;
  raw: boolean;
  yarn?: number;
  json: boolean;
}

interface CacheArgs {
  dir?: string;
  prune: boolean;
  clear: boolean;
  json: boolean;
}

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
const size = (bytes: number): string => (bytes >= 2 ** 30 ? gib(bytes) : bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 2 ** 10).toFixed(1)} KiB`);

function open(model: string): ReturnType<typeof openCheckpoint> {
  try {
    return openCheckpoint(model);
  } catch (error) {
    if (error instanceof UnsupportedConfigError || error instanceof Error) throw new CliError(error.message);
    throw error;
  }
}

const infoCommand: CommandModule<object, InfoArgs> = {
  command: 'info <model>',
  describe: 'Architecture, parameter count, dtype, context limit and GPU memory at a length',
  builder: (y) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'Hugging Face checkpoint directory, or builtin:tiny (the shipped reference model)' })
      .option('length', { type: 'number', describe: 'Context length to size memory for (default: the context limit)' })
      .option('yarn', { type: 'number', describe: 'YaRN factor over max_position_embeddings (Qwen2.5 beyond 32k)' })
      .option('json', { type: 'boolean', default: false }) as Argv<InfoArgs>,
  handler: (args) => {
    const ckpt = open(args.model);
    const spec = args.yarn ? withYarn(ckpt.spec, args.yarn) : ckpt.spec;
    const limit = contextLimit(spec);
    const length = args.length ?? limit;
    if (!(length > 0)) throw new CliError(`--length must be a positive number of tokens, got ${args.length}.`);
    const memory = memoryNeeded(spec, length);
    const twoGraphs = memoryNeeded(spec, length, 4096, 2, 2);
    // The default on WebGPU: fp32 MatMuls with their weight casts folded at load in both sessions.
    const folded = memoryNeeded(spec, length, 4096, 2, 2, 4);
    // CUDA's one-run generation: fp16 weights once, the padded prompt cache, 512 new tokens, 4096-row MLP chunks.
    const cuda = oneRunMemory(spec, length, 4096, 512);
    const info = {
      architecture: spec.architecture,
      family: spec.family,
      parameters: parameterCount(spec),
      dtype: spec.dtype,
      layers: spec.numLayers,
      hiddenSize: spec.hiddenSize,
      heads: spec.numHeads,
      kvHeads: spec.numKvHeads,
      headDim: spec.headDim,
      vocabSize: spec.vocabSize,
      rope: spec.rope,
      contextLimit: limit,
      stopTokenIds: ckpt.stopTokenIds,
      memoryAtLength: { length, fp16SingleGraph: memory, fp16WithDecodeGraph: twoGraphs, webgpuDefault: folded, cudaOneRun: cuda, exceedsContext: length > limit },
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      return;
    }
    const lines = [
      `architecture   ${info.architecture} (${info.family})`,
      `parameters     ${info.parameters >= 1e8 ? `${(info.parameters / 1e9).toFixed(2)} B` : `${(info.parameters / 1e6).toFixed(2)} M`} (${info.parameters})`,
      `dtype          ${info.dtype} (runs as fp16 on CUDA and WebGPU, fp32 on CPU)`,
      `shape          ${info.layers} layers, hidden ${info.hiddenSize}, ${info.heads} heads / ${info.kvHeads} KV heads of ${info.headDim}, vocabulary ${info.vocabSize}`,
      `rope           ${JSON.stringify(info.rope)}`,
      `context limit  ${limit} tokens`,
      `memory at ${length} tokens (fp16): weights ${gib(memory.weights)} + KV cache ${gib(memory.kvCache)} + activations ${gib(memory.activations)} = ${gib(memory.total)}`,
      `               with a decode graph (weights held twice): ${gib(twoGraphs.total)}`,
      `               WebGPU default (fp32 MatMul weights folded at load, held twice): ${gib(folded.total)}`,
      `               CUDA (one run: weights once, prompt cache, 512 new tokens): ${gib(cuda.total)}`,
    ];
    if (length > limit) lines.push(`warning: ${length} tokens exceed the context limit of ${limit}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};

const generateCommand: CommandModule<object, GenerateArgs> = {
  command: 'generate <model>',
  describe: 'Greedy generation from a prompt (chat-templated unless --raw), for a quick check',
  builder: (y) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'Hugging Face checkpoint directory, or builtin:tiny (the shipped reference model)' })
      .option('prompt', { type: 'string', demandOption: true, describe: 'User message (or raw text with --raw)' })
      .option('device', { choices: ['cpu', 'webgpu', 'cuda'] as const, default: 'cpu' as const })
      .option('max-tokens', { type: 'number', default: 64 })
      .option('raw', { type: 'boolean', default: false, describe: 'Do not apply the chat template' })
      .option('yarn', { type: 'number', describe: 'YaRN factor over max_position_embeddings' })
      .option('json', { type: 'boolean', default: false }) as Argv<GenerateArgs>,
  handler: async (args) => {
    const ckpt = open(args.model);
    const engine = await Engine.load(ckpt.dir, { device: args.device, ...(args.yarn ? { yarnFactor: args.yarn } : {}), log: (l) => void process.stderr.write(`${l}\n`) });
    try {
      const tok = engine.tokenizer;
      const ids = args.raw ? tok.encode(args.prompt) : engine.encodeChat([{ role: 'user', content: args.prompt }]);
      const result = await engine.generateIds(ids, args['max-tokens']);
      const stops = new Set(engine.stopTokenIds);
      const out = result.finishReason === 'stop' && stops.has(result.tokens.at(-1)!) ? result.tokens.slice(0, -1) : result.tokens;
      const text = tok.decode(out);
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ output: text, tokens: result.tokens, finishReason: result.finishReason, promptTokens: ids.length, timings: result.timings })}\n`);
      } else {
        process.stdout.write(`${text}\n`);
        const decode = result.timings.decodeMs;
        const mean = decode.length ? decode.reduce((a, b) => a + b, 0) / decode.length : 0;
        const t = result.timings;
        process.stderr.write(
          t.prefillMs !== undefined
            ? `engine: ${ids.length} prompt tokens in ${t.prefillMs.toFixed(0)} ms, ${result.tokens.length} tokens at ${mean.toFixed(1)} ms/token (${result.finishReason})\n`
            : `engine: ${ids.length} prompt tokens and ${result.tokens.length} generated in one run of ${t.generationMs.toFixed(0)} ms (${result.finishReason})\n`,
        );
      }
    } finally {
      await engine.close();
    }
  },
};

const cacheCommand: CommandModule<object, CacheArgs> = {
  command: 'cache',
  describe: 'List the graph cache (graphs, shared weights files, disk used); --prune removes what this version cannot reuse',
  builder: (y) =>
    y
      .option('dir', { type: 'string', describe: 'Cache folder (default: $LONGWEAVE_ENGINE_CACHE or ~/.cache/longweave/engine)' })
      .option('prune', { type: 'boolean', default: false, describe: 'Remove graphs built by other versions of the engine, interrupted builds and unreferenced weights files' })
      .option('clear', { type: 'boolean', default: false, describe: 'Remove every graph and weights file' })
      .option('json', { type: 'boolean', default: false })
      .check((a) => {
        if (a['prune'] && a['clear']) throw new Error('Give --prune or --clear, not both.');
        return true;
      }) as Argv<CacheArgs>,
  handler: (args) => {
    const dir = args.dir ?? defaultCacheDir();
    if (args.prune || args.clear) {
      const pruned = pruneGraphCache(dir, { all: args.clear });
      if (args.json) process.stdout.write(`${JSON.stringify({ dir, ...pruned })}\n`);
      else process.stdout.write(`removed ${pruned.removedGraphs.length} graphs and ${pruned.removedWeights.length} weights files from ${dir}, freed ${size(pruned.freedBytes)}\n`);
      return;
    }
    const listing = listGraphCache(dir);
    if (args.json) {
      process.stdout.write(`${JSON.stringify(listing, null, 2)}\n`);
      return;
    }
    const lines = [`${dir}: ${listing.graphs.length} graphs, ${listing.weights.length} weights files, ${size(listing.totalBytes)} on disk`];
    for (const g of listing.graphs) {
      const { precision: _p, attention, maxPositions: _m, ...rest } = g.settings ?? ({} as Partial<GraphSettings>);
      const extras = [...(attention?.params ? [`params=${JSON.stringify(attention.params)}`] : []), ...Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)];
      const what = g.state === 'partial' ? 'unfinished build' : `${g.architecture} ${g.method} ${g.precision} ${g.maxPositions} positions${extras.length ? ` (${extras.join(' ')})` : ''}`;
      const weights = g.weightsDigest ? `weights ${g.weightsDigest.slice(0, 12)}${g.sharedWeights ? '' : ' (own copy)'}` : '';
      lines.push(`  ${g.key}  ${g.current ? 'current' : 'stale  '}  ${size(g.bytes).padStart(10)}  ${what}  ${weights}`.trimEnd());
    }
    for (const w of listing.weights) lines.push(`  weights ${w.digest.slice(0, 12)}  ${size(w.bytes).padStart(10)}  linked by ${w.graphs} graph${w.graphs === 1 ? '' : 's'}`);
    const stale = listing.graphs.filter((g) => !g.current).length + listing.weights.filter((w) => w.graphs === 0).length;
    if (stale) lines.push(`${stale} stale entries: longweave engine cache --prune removes them`);
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};

export const engineCommand: CommandModule<object, object> = {
  command: 'engine <command>',
  describe: 'The embedded engine: checkpoint info, quick generation, attention benchmarks, the graph cache, and its runtimes (doctor, install cuda)',
  builder: (y) =>
    y.command(infoCommand).command(generateCommand).command(benchCommand).command(cacheCommand).command(doctorCommand).command(installCommand).command(uninstallCommand)
      .demandCommand(1, 'Name an engine command: info, generate, bench, cache, doctor, install or uninstall.'),
  handler: () => undefined,
};
