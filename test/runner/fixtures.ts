// Hand-built samples for runner tests: valid against the sample schema, scored by real scorers,
// small and independent of the generators (so runner tests don't move when prompts change).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Sample } from '../../generators/core/sample.js';

/** One sample of a fake retrieval task with an `exact` answer. */
export function makeSample(task: string, length: number, index: number, options: { inputChars?: number } = {}): Sample {
  const answer = `item-${task.replace(/\W/g, '')}-${length}-${index}`;
  const filler = 'lorem ipsum '.repeat(Math.ceil((options.inputChars ?? 200) / 12)).slice(0, options.inputChars ?? 200);
  const input = `<question>Which item?</question>\n<context>${filler} The item is ${answer}.</context>`;
  return {
    id: `${task.replace('/', '.')}-${length}-${String(index).padStart(4, '0')}`,
    task,
    taskVersion: 1,
    input,
    target: [answer],
    messages: [{ role: 'user', content: input }],
    metadata: {
      seed: `seed${index}`,
      tokenizer: 'qwen3',
      inputTokens: length,
      targetLength: length,
      chatTemplate: true,
      index,
      params: {},
      needles: [{ text: `The item is ${answer}.`, tokenOffset: 10, tokenCount: 8, depth: (index % 10) / 10 + 0.05, charOffset: 20 }],
      category: 'retrieval',
      scope: 'low',
      dispersion: 'low',
      scorer: 'exact',
      maxOutputTokens: 32,
    },
  };
}

/** Writes samples.jsonl files and a manifest.json into `dir`; returns the file paths by task and length. */
export function writeDataset(dir: string, tasks: string[], lengths: number[], count: number, options: { inputChars?: number } = {}): Record<string, string> {
  const files: Record<string, string> = {};
  const manifest = {
    format: 'longweave-dataset/1',
    suite: 'test',
    seed: 1,
    tokenizer: 'qwen3',
    chatTemplate: true,
    versions: { longweave: '0.1.0', tasks: Object.fromEntries(tasks.map((t) => [t, 1])) },
    files: [] as unknown[],
  };
  for (const task of tasks) {
    for (const length of lengths) {
      const rel = join(task, String(length), 'samples.jsonl');
      const path = join(dir, rel);
      mkdirSync(join(dir, task, String(length)), { recursive: true });
      const lines = Array.from({ length: count }, (_, i) => JSON.stringify(makeSample(task, length, i, options))).join('\n') + '\n';
      writeFileSync(path, lines);
      files[`${task}@${length}`] = path;
      manifest.files.push({ path: rel, name: task, task, length, samples: count, sha256: '0'.repeat(64), bytes: lines.length, params: {} });
    }
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return files;
}

const ROOT = resolve(import.meta.dirname, '..', '..');

/**
 * The `longweave` command line (cli/main.ts through tsx) in the repository root, with `env` on top
 * of this process's. Asynchronous: a test server in this process must keep answering meanwhile.
 */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cli', 'main.ts'), ...args], { cwd: ROOT, env: { ...process.env, CI: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}
