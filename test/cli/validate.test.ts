// `longweave validate` checks what a manifest records (each file's size, sha256 and sample count)
// and a run recipe as `run` would, its data folder included: a tampered, truncated or deleted
// samples file fails.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import yargs from 'yargs';
import { validateCommand } from '../../cli/validate.js';
import { hashFile } from '../../runner/inputs.js';
import { writeDataset } from '../runner/fixtures.js';

async function validate(argv: string[]): Promise<{ stdout: string; code: number }> {
  let stdout = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const before = process.exitCode;
  try {
    await yargs(['validate', ...argv]).command(validateCommand).strict().parseAsync();
  } finally {
    out.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = before;
  return { stdout, code };
}

afterEach(() => vi.restoreAllMocks());

/** A dataset whose manifest records the real sizes and hashes, as `generate` writes it. */
async function dataset(dir: string): Promise<{ manifest: string; file: string }> {
  const files = writeDataset(join(dir, 'data'), ['ruler/niah', 'ruler/vt'], [1024], 3);
  const manifest = join(dir, 'data', 'manifest.json');
  const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { files: { path: string; sha256: string; bytes: number }[] };
  for (const f of parsed.files) Object.assign(f, await hashFile(join(dir, 'data', f.path)));
  writeFileSync(manifest, JSON.stringify(parsed));
  return { manifest, file: files['ruler/vt@1024']! };
}

describe('longweave validate', () => {
  it("checks a manifest's files against the sizes, hashes and counts it records", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-validate-'));
    const { manifest, file } = await dataset(dir);
    expect(await validate([manifest])).toEqual({ stdout: `ok   ${manifest} (manifest, 1 records, 2 samples files checked)\n`, code: 0 });
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('item-', 'itex-'));
    const edited = await validate([manifest]);
    expect(edited.code).toBe(1);
    expect(edited.stdout).toMatch(/\/files\/1 \(ruler\/vt\/1024\/samples.jsonl\): sha256 [0-9a-f]{12}\.\.\., the manifest records [0-9a-f]{12}\.\.\.: the file changed after it was generated/);
    appendFileSync(file, text.split('\n')[0] + '\n');
    expect((await validate([manifest])).stdout).toContain(`/files/1 (ruler/vt/1024/samples.jsonl): 4 samples, the manifest records 3`);
    rmSync(file);
    expect((await validate([manifest])).stdout).toContain('     /files/1 (ruler/vt/1024/samples.jsonl): the file is missing\n');
  });

  it("checks a run recipe as `run` does, and its data folder's files", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-validate-'));
    const { manifest, file } = await dataset(dir);
    const recipe = join(dir, 'sweep.json');
    writeFileSync(recipe, JSON.stringify({ name: 'sweep', data: 'data', models: [{ name: 'gold', backend: 'oracle' }] }));
    expect(await validate([recipe])).toEqual({ stdout: `ok   ${recipe} (run-recipe, 1 records, 2 samples files checked)\n`, code: 0 });
    appendFileSync(file, '\n\n');
    const changed = await validate([recipe]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain(`/data: ${manifest} /files/1 (ruler/vt/1024/samples.jsonl): `);
    writeFileSync(recipe, JSON.stringify({ name: 'sweep', data: 'data', lengths: ['1k', 'x'], models: [{ name: 'gold', backend: 'oracle' }] }));
    expect((await validate([recipe])).stdout).toContain('/lengths/1 Invalid length "x"');
  });
});
