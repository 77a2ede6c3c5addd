// `longweave engine info` on a tiny checkpoint and a real shape's config, and its refusals.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shapeConfig } from '../../runner/engine/checkpoint/shapes.js';
import { writeFixtureCheckpoint } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'lw-engine-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { encoding: 'utf8' });

describe('longweave engine info', () => {
  it('prints the shape, parameters, context and memory of a checkpoint as JSON', () => {
    const dir = writeFixtureCheckpoint('qwen3', root);
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'engine', 'info', dir, '--length', '300', '--json'], { encoding: 'utf8' });
    const info = JSON.parse(out) as Record<string, unknown>;
    expect(info).toMatchObject({ architecture: 'Qwen3ForCausalLM', family: 'qwen3', dtype: 'bfloat16', layers: 2, headDim: 32, contextLimit: 512, stopTokenIds: [257] });
    expect(info['memoryAtLength']).toMatchObject({ length: 300, exceedsContext: false, fp16SingleGraph: { kvCache: 2 * 2 * 2 * 300 * 2 * 32 * 2 } });
    const at = info['memoryAtLength'] as Record<string, { weights: number }>;
    expect(at['webgpuDefault']!.weights).toBe(4 * at['fp16SingleGraph']!.weights);
    // CUDA's one run: the 300-token prompt padded to 512, plus a 512-token decode tail held twice (2 layers x K/V x 2 heads x 32 x 2 bytes a token).
    expect(info['memoryAtLength']).toMatchObject({ cudaOneRun: { weights: at['fp16SingleGraph']!.weights, kvCache: (512 + 2 * 512) * 2 * 2 * 2 * 32 * 2 } });
  });

  it('sizes a 7B model at 128k with YaRN (config only: info reads no weights)', () => {
    const dir = join(root, 'qwen7b');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(shapeConfig('qwen2.5-7b')));
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: {} }));
    const result = cli(['engine', 'info', dir, '--length', '131072', '--yarn', '4']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('parameters     7.62 B (7615616512)');
    expect(result.stdout).toContain('context limit  131072 tokens');
    expect(result.stdout).toMatch(/memory at 131072 tokens \(fp16\): weights 14\.19 GiB \+ KV cache 14\.00 GiB/);
    expect(result.stdout).toContain('CUDA (one run: weights once, prompt cache, 512 new tokens): 29.75 GiB');
  });

  it('refuses a checkpoint it cannot run, naming the field', () => {
    const dir = join(root, 'gptneox');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ architectures: ['GPTNeoXForCausalLM'] }));
    const result = cli(['engine', 'info', dir]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('config.json field "architectures": "GPTNeoXForCausalLM" is not supported');
  });
});
