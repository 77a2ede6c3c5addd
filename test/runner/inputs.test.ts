// Every input of a run is checked in full before the first request: a broken line anywhere, a
// missing field, a repeated id, an unknown scorer or a prompt over the model's context stops the
// run with every problem named, nothing sent and no run directory left behind.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackend } from '../../runner/backends/registry.js';
import { checkInputs, RunInputError } from '../../runner/inputs.js';
import { resolveRecipe } from '../../runner/recipe/load.js';
import { runGrid } from '../../runner/run.js';
import { SchemaError } from '../../schemas/index.js';
import { makeSample, writeDataset } from './fixtures.js';
import { startFaultServer, type FaultServer } from './fault-server.js';

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(async () => server.close());

const lines = (samples: unknown[]): string => samples.map((s) => JSON.stringify(s)).join('\n') + '\n';

async function runOn(dir: string, files: string[]): Promise<unknown> {
  const resolved = await resolveRecipe({ name: 't', datasets: files.map((path) => ({ path })), models: [{ name: 'm', backend: 'openai', options: { baseUrl: server.url } }] }, { baseDir: dir });
  const before = server.requests;
  try {
    await runGrid(resolved, { dir: join(dir, 'run') });
    return undefined;
  } catch (error) {
    expect(server.requests).toBe(before);
    expect(existsSync(join(dir, 'run'))).toBe(false);
    return error;
  }
}

describe('run input checks', () => {
  it('refuses a truncated line and a missing field on line 2 before sample 1 is sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-inputs-'));
    const cut = join(dir, 'cut.jsonl');
    const text = lines([makeSample('ruler/niah', 1024, 0), makeSample('ruler/niah', 1024, 1)]);
    writeFileSync(cut, text.slice(0, text.length - 40));
    const missing = join(dir, 'missing.jsonl');
    const { target: _target, ...noTarget } = makeSample('ruler/vt', 1024, 1);
    writeFileSync(missing, lines([makeSample('ruler/vt', 1024, 0), noTarget]));
    const error = await runOn(dir, [cut, missing]);
    expect(error).toBeInstanceOf(RunInputError);
    expect((error as RunInputError).problems).toEqual([
      expect.stringMatching(new RegExp(`^${cut}:2: invalid JSON \\(.*\\); the file ends without a newline: it looks truncated$`)),
      `${missing}:2: /target is required [required]`,
    ]);
    expect((error as Error).message.split('\n')[0]).toBe("2 problems in the run's samples files (nothing was sent):");
  });

  it('refuses repeated ids, within a file and across files, and unknown scorers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-inputs-'));
    const a = join(dir, 'a.jsonl');
    const b = join(dir, 'b.jsonl');
    const twice = makeSample('ruler/niah', 1024, 0);
    const strange = { ...makeSample('ruler/niah', 1024, 2), metadata: { ...makeSample('ruler/niah', 1024, 2).metadata, scorer: 'bleu' } };
    writeFileSync(a, lines([twice, makeSample('ruler/niah', 1024, 1), twice, strange]));
    writeFileSync(b, lines([{ ...makeSample('ruler/vt', 1024, 0), id: makeSample('ruler/niah', 1024, 1).id }]));
    const error = (await runOn(dir, [a, b])) as RunInputError;
    expect(error.problems).toEqual([
      `${a}:3: /id "${twice.id}" repeats the sample at ${a}:1; ids must be unique across a run`,
      expect.stringMatching(new RegExp(`^${a}:4: /metadata/scorer names unknown scorer "bleu"; known scorers are `)),
      `${b}:1: /id "${makeSample('ruler/niah', 1024, 1).id}" repeats the sample at ${a}:2; ids must be unique across a run`,
    ]);
  });

  it('names what an unreadable samples file is: empty, BOM, a JSON array, RULER data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-inputs-'));
    const sample = JSON.stringify(makeSample('ruler/niah', 1024, 0));
    const files: Record<string, string> = {
      'empty.jsonl': '\n\n',
      'bom.jsonl': `\ufeff${sample}\n`,
      'array.json': `[${sample}]`,
      'ruler.jsonl': `${JSON.stringify({ index: 0, input: 'Some text', outputs: ['x'], length: 4096 })}\n`,
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const error = await resolveRecipe({ name: 't', datasets: Object.keys(files).map((path) => ({ path })), models: [{ name: 'm', backend: 'oracle' }] }, { baseDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as SchemaError).issues.map((i) => `${i.path} ${i.message}`)).toEqual([
      `/datasets/0/path ${join(dir, 'empty.jsonl')} is empty: it holds no samples (write samples with \`longweave generate\`)`,
      `/datasets/1/path ${join(dir, 'bom.jsonl')} starts with a UTF-8 byte-order mark (EF BB BF), which JSON Lines does not allow: remove those 3 bytes (e.g. \`sed -i '1s/^\\xEF\\xBB\\xBF//' FILE\`)`,
      `/datasets/2/path ${join(dir, 'array.json')} holds one JSON array, not JSON Lines (one sample object per line): convert it with \`jq -c '.[]' FILE > samples.jsonl\``,
      `/datasets/3/path ${join(dir, 'ruler.jsonl')} is in RULER's data format (index, input, outputs), not longweave samples: generate RULER's tasks as samples with \`longweave generate --suite ruler\` (RULER's own predictions files are read by \`longweave score\`)`,
    ]);
    // The same file named with its task and length is caught by the run's own check.
    const resolved = await resolveRecipe({ name: 't', datasets: [{ path: 'empty.jsonl', task: 'ruler/niah', length: 1024 }], models: [{ name: 'm', backend: 'oracle' }] }, { baseDir: dir });
    await expect(checkInputs(resolved)).rejects.toThrow(`${join(dir, 'empty.jsonl')} is empty: it holds no samples`);
  });

  it("refuses prompts over the model's context when counted under its tokenizer, and notes the others", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-inputs-'));
    const files = writeDataset(join(dir, 'data'), ['ruler/niah'], [16384], 3);
    const resolved = await resolveRecipe({ name: 't', data: 'data', models: [{ name: 'tiny', backend: 'oracle' }] }, { baseDir: dir });
    const context = { tokens: 16000, tokenizer: 'qwen3', source: 'a test' };
    const error = (await checkInputs(resolved, { contexts: new Map([['tiny', context]]) }).catch((e: unknown) => e)) as RunInputError;
    expect(error.problems).toEqual([
      `${files['ruler/niah@16384']}: 3 selected samples (first on line 1) need up to 16416 tokens (prompt plus output budget), more than model tiny's context of 16000 (a test); drop this length, or raise the context (engine options maxLength / yarnFactor)`,
    ]);
    const notes: string[] = [];
    const checked = await checkInputs(resolved, { contexts: new Map([['tiny', { ...context, tokenizer: 'builtin:tiny' }]]), log: (m) => notes.push(m) });
    expect(checked.inputs.datasets[0]).toMatchObject({ name: 'ruler/niah', length: 16384, samples: 3, bytes: readFileSync(files['ruler/niah@16384']!).length });
    expect(notes).toEqual([expect.stringMatching(/counted under the samples' tokenizer, not the model's: they may fail$/)]);
  });

  it("knows the engine's context and tokenizer without loading the model", async () => {
    const context = await getBackend('engine').contextOf?.({ name: 'tiny', backend: 'engine', options: { path: 'builtin:tiny' } }, { baseDir: '.', env: {} });
    expect(context).toMatchObject({ tokens: 16384, tokenizer: 'builtin:tiny' });
    const yarn = await getBackend('engine').contextOf?.({ name: 'tiny', backend: 'engine', options: { path: 'builtin:tiny', yarnFactor: 2 } }, { baseDir: '.', env: {} });
    expect(yarn?.tokens).toBe(32768);
  });
});
