// `longweave engine info|generate`: what a checkpoint is and what it needs, and a quick manual
// generation through the embedded engine.
import type { Argv, CommandModule } from 'yargs';
import { openCheckpoint } from '../runner/engine/checkpoint/checkpoint.js';
import { contextLimit, parameterCount, UnsupportedConfigError } from '../runner/engine/checkpoint/config.js';
import { memoryNeeded } from '../runner/engine/cost.js';
import { Engine, withYarn } from '../runner/engine/engine.js';
import { CliError } from './errors.js';
import { benchCommand } from './engine-bench.js';

interface InfoArgs {
  model: string;
  length?: number;
  yarn?: number;
  json: boolean;
}

interface GenerateArgs {
  model: string;
  prompt: string;
  device: 'cpu' | 'webgpu';
  'max-tokens': number;
  raw: boolean;
  yarn?: number;
  json: boolean;
}

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

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
      memoryAtLength: { length, fp16SingleGraph: memory, fp16WithDecodeGraph: twoGraphs, webgpuDefault: folded, exceedsContext: length > limit },
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      return;
    }
    const lines = [
      `architecture   ${info.architecture} (${info.family})`,
      `parameters     ${info.parameters >= 1e8 ? `${(info.parameters / 1e9).toFixed(2)} B` : `${(info.parameters / 1e6).toFixed(2)} M`} (${info.parameters})`,
      `dtype          ${info.dtype} (runs as fp16 on WebGPU, fp32 on CPU)`,
      `shape          ${info.layers} layers, hidden ${info.hiddenSize}, ${info.heads} heads / ${info.kvHeads} KV heads of ${info.headDim}, vocabulary ${info.vocabSize}`,
      `rope           ${JSON.stringify(info.rope)}`,
      `context limit  ${limit} tokens`,
      `memory at ${length} tokens (fp16): weights ${gib(memory.weights)} + KV cache ${gib(memory.kvCache)} + activations ${gib(memory.activations)} = ${gib(memory.total)}`,
      `               with a decode graph (weights held twice): ${gib(twoGraphs.total)}`,
      `               WebGPU default (fp32 MatMul weights folded at load, held twice): ${gib(folded.total)}`,
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
      .option('device', { choices: ['cpu', 'webgpu'] as const, default: 'cpu' as const })
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
        process.stderr.write(`engine: ${ids.length} prompt tokens in ${result.timings.prefillMs.toFixed(0)} ms, ${result.tokens.length} tokens at ${mean.toFixed(1)} ms/token (${result.finishReason})\n`);
      }
    } finally {
      await engine.close();
    }
  },
};

export const engineCommand: CommandModule<object, object> = {
  command: 'engine <command>',
  describe: 'The embedded engine: checkpoint info, quick generation and attention benchmarks',
  builder: (y) => y.command(infoCommand).command(generateCommand).command(benchCommand).demandCommand(1, 'Name an engine command: info, generate or bench.'),
  handler: () => undefined,
};
