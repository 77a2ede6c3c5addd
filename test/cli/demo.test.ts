// `longweave demo`, small: the README's pipeline (tiny-demo suite under the builtin tokenizer,
// builtin:tiny through the engine on the CPU provider, dense beside one prefill and one decode
// sparse method, report) on two 1k ruler/niah samples at one compression ratio.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = mkdtempSync(join(tmpdir(), 'lw-demo-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { encoding: 'utf8' });

interface Cell { task: string; length: number; prefill: string; decode: string; compression: number; n: number; failures: number; mean: number }

describe('longweave demo', () => {
  it('generates, runs dense and sparse through the engine, and writes the report', () => {
    const out = join(root, 'demo');
    const args = ['demo', '--out', out, '--task', 'ruler/niah', '--lengths', '1k', '--samples', '2', '--compression', '5', '--no-progress'];
    const result = cli(args);
    expect(result.stderr).toContain(`report: ${join(out, 'run', 'report.html')}`);
    expect(result.status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'data', 'manifest.json'), 'utf8')) as { suite: string; seed: number; tokenizer: string; files: { task: string; length: number; samples: number }[] };
    expect(manifest).toMatchObject({ suite: 'tiny-demo', seed: 7, tokenizer: 'builtin:tiny' });
    expect(manifest.files.map((f) => [f.task, f.length, f.samples])).toEqual([['ruler/niah', 1024, 2]]);
    expect(statSync(join(out, 'run', 'report.html')).size).toBeGreaterThan(10_000);
    const summary = JSON.parse(readFileSync(join(out, 'run', 'summary.json'), 'utf8')) as { cells: Cell[] };
    const cells = summary.cells.map((c) => `${c.prefill}/${c.decode}@${c.compression}`).sort();
    expect(cells).toEqual(['a-shape/dense@5', 'dense/dense@1', 'dense/snapkv@5']);
    for (const c of summary.cells) expect([c.task, c.length, c.n, c.failures]).toEqual(['ruler.niah', 1024, 2, 0]);
    // Seeded samples and greedy decoding: the builtin model answers both 1k niah samples exactly.
    const dense = summary.cells.find((c) => c.prefill === 'dense' && c.decode === 'dense')!;
    expect(dense.mean).toBe(1);
    expect(result.stdout).toContain('dense/dense');
    expect(result.stderr).toContain(`${join(out, 'run')}: 6 answered`);

    // Run again into the same folder: the dataset and the answers are reused, nothing is asked again.
    const again = cli(args);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain(`${join(out, 'run')}: 0 answered, 6 done before`);
    expect(existsSync(join(out, 'run', 'report.html'))).toBe(true);

    // Other settings into the same folder are refused, naming --force; --force replaces the demo.
    const other = ['demo', '--out', out, '--task', 'ruler/niah', '--lengths', '1k', '--samples', '1', '--attention', 'dense', '--decode-attention', 'dense', '--no-progress'];
    const refused = cli(other);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`${join(out, 'data')} holds another demo dataset (tiny-demo, seed 7, other tasks, lengths or samples); pass --force to replace the demo in ${out}, or use another --out.`);
    const forced = cli([...other, '--force']);
    expect(forced.status).toBe(0);
    expect(forced.stderr).toContain(`${join(out, 'run')}: 1 answered`);
  }, 180_000);

  it('refuses an unknown builtin model before writing anything', () => {
    const bad = cli(['demo', '--out', join(root, 'bad'), '--model', 'builtin:huge', '--no-progress']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('Unknown builtin model "builtin:huge": use one of builtin:tiny.');
    expect(existsSync(join(root, 'bad', 'data'))).toBe(false);
  });
});
