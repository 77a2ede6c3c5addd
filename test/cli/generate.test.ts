// The CLI as a user runs it: the built dist/cli/main.js in a child process.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const CLI = join(process.cwd(), 'dist', 'cli', 'main.js');

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
});

describe('longweave generate', () => {
  it('writes one samples.jsonl per task and length plus a manifest with hashes and counts', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'lw-gen-')), 'data');
    const r = run(['generate', '--task', 'ruler/niah', '--task', 'ruler/vt', '--lengths', '2k,3000', '--samples', '3', '--seed', '7', '--out', out, '--json']);
    expect(r.stderr).toContain('Wrote 12 samples in 4 files');
    expect(r.code).toBe(0);
    const manifest = JSON.parse(r.stdout) as { files: { path: string; sha256: string; samples: number; bytes: number }[]; seed: string; tokenizer: string; chatTemplate: boolean };
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))).toEqual(manifest);
    expect(manifest.tokenizer).toBe('qwen3');
    expect(manifest).toMatchObject({ chatTemplate: true, templateKwargs: {}, tokenizerSha256: expect.stringMatching(/^[0-9a-f]{64}$/), chatTemplateSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(manifest.files.map((f) => f.path)).toEqual([
      'ruler.niah/2k/samples.jsonl',
      'ruler.niah/3000/samples.jsonl',
      'ruler.vt/2k/samples.jsonl',
      'ruler.vt/3000/samples.jsonl',
    ]);
    for (const f of manifest.files) {
      const file = join(out, f.path);
      expect(sha(file)).toBe(f.sha256);
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(f.samples);
      for (const line of lines) expect(JSON.parse(line).metadata.inputTokens).toBe(f.path.includes('/2k/') ? 2048 : 3000);
    }
    expect(readdirSync(out).filter((e) => e.startsWith('.'))).toEqual([]);
    const check = run(['validate', join(out, '**/*.jsonl'), join(out, 'manifest.json')]);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('ok   ');
  });

  it('is byte-identical across runs, and adding a length or samples leaves existing files identical', () => {
    const base = mkdtempSync(join(tmpdir(), 'lw-det-'));
    run(['generate', '--task', 'ruler/cwe', '--lengths', '3k', '--samples', '2', '--seed', '1', '--out', join(base, 'a')]);
    run(['generate', '--task', 'ruler/cwe', '--lengths', '3k', '--samples', '2', '--seed', '1', '--out', join(base, 'b')]);
    run(['generate', '--task', 'ruler/cwe', '--lengths', '4k,3k', '--samples', '3', '--seed', '1', '--out', join(base, 'c')]);
    const a = readFileSync(join(base, 'a', 'ruler.cwe', '3k', 'samples.jsonl'), 'utf8');
    expect(readFileSync(join(base, 'b', 'ruler.cwe', '3k', 'samples.jsonl'), 'utf8')).toBe(a);
    expect(readFileSync(join(base, 'a', 'manifest.json'), 'utf8')).toBe(readFileSync(join(base, 'b', 'manifest.json'), 'utf8'));
    const c = readFileSync(join(base, 'c', 'ruler.cwe', '3k', 'samples.jsonl'), 'utf8');
    expect(c.startsWith(a)).toBe(true);
  });

  it('runs a shipped suite', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'lw-suite-')), 'quick');
    const r = run(['generate', '--suite', 'quick', '--samples', '1', '--out', out]);
    expect(r.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { suite: string; seed: number; files: unknown[] };
    expect(manifest.suite).toBe('quick');
    expect(manifest.seed).toBe(7);
    expect(manifest.files).toHaveLength(4);
  });

  it('refuses bad input with one line naming the field, exit code 1, nothing written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-bad-'));
    const out = join(dir, 'data');
    const cases: [string[], string][] = [
      [['--task', 'ruler/nope'], 'longweave: Unknown task "ruler/nope": known tasks are ruler/niah'],
      [['--task', 'ruler/niah', '--lengths', '4kb'], 'longweave: --lengths: Invalid length "4kb"'],
      [['--task', 'ruler/niah', '--params', '{"keys":-1}'], 'longweave: ruler/niah: params.keys must be >= 1'],
      [['--task', 'ruler/niah', '--params', 'keys=1'], 'longweave: --params must be a JSON object'],
      [['--task', 'ruler/niah', '--lengths', '100'], 'longweave: Length 100 is too short for ruler/niah: its fixed parts need at least'],
      [['--task', 'ruler/niah', '--tokenizer', 'nope'], 'longweave: Unknown tokenizer "nope"'],
      [['--suite', 'nope'], 'longweave: Unknown suite "nope": shipped suites are'],
      [[], 'longweave: Name a --suite or at least one --task'],
      [['--task', 'ruler/niah', '--samples', '0'], 'longweave: --samples must be a positive integer'],
      [['--task', 'qa/squad', '--task', 'qa/toefl'], 'longweave: 2 tasks read your own data and no source was given: qa/squad needs a SQuAD v2.0 JSON file'],
      [['--task', 'qa/squad', '--source', 'qa/squad=/nonexistent.json'], 'longweave: --source qa/squad=/nonexistent.json: the file does not exist.'],
    ];
    for (const [args, message] of cases) {
      const r = run(['generate', ...args, '--out', out]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(message);
      expect(existsSync(join(out, 'manifest.json'))).toBe(false);
    }
    expect(existsSync(out) ? readdirSync(out).filter((e) => !e.startsWith('.')) : []).toEqual([]);
  });

  it('says in --help what --no-chat-template counts (the BOS a Llama tokenizer adds) and that kwargs are recorded', () => {
    const r = run(['generate', '--help']);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toContain('with the special tokens the tokenizer adds: a Llama tokenizer adds <|begin_of_text|>, so N tokens there are N-1 tokens of text');
    expect(help).toContain("recorded in the manifest and every sample, and part of every sample's seed and id");
    const out = join(mkdtempSync(join(tmpdir(), 'lw-kwargs-')), 'data');
    const pointless = run(['generate', '--task', 'ruler/niah', '--no-chat-template', '--template-kwargs', '{"enable_thinking":false}', '--out', out]);
    expect(pointless.code).toBe(1);
    expect(pointless.stderr.trim()).toBe("longweave: --template-kwargs (or the suite's templateKwargs) only applies under a chat template, and this run counts the raw prompt; drop the kwargs or --no-chat-template.");
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);
  });

  it('rejects an invalid suite recipe naming the path and rule', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-recipe-'));
    const recipe = join(dir, 'mine.json');
    writeFileSync(recipe, JSON.stringify({ name: 'mine', tasks: [{ task: 'ruler/niah', sample: 3 }] }));
    const r = run(['generate', '--suite', recipe, '--out', join(dir, 'o')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${recipe}: /tasks/0/sample is not an allowed field [additionalProperties]`);
  });

  it('does not overwrite an existing dataset without --force, and can with it', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'lw-force-')), 'data');
    const first = run(['generate', '--task', 'ruler/fwe', '--lengths', '2k', '--samples', '1', '--out', out]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`Wrote 1 sample in 1 file to ${out}`);
    const before = readFileSync(join(out, 'manifest.json'), 'utf8');
    const again = run(['generate', '--task', 'ruler/fwe', '--lengths', '2k', '--samples', '1', '--seed', '2', '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists; pass --force to overwrite');
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(before);
    expect(run(['generate', '--task', 'ruler/fwe', '--lengths', '2k', '--samples', '1', '--seed', '2', '--out', out, '--force']).code).toBe(0);
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).not.toBe(before);
  });

  it('reports an unwritable output folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-ro-'));
    chmodSync(dir, 0o500);
    const r = run(['generate', '--task', 'ruler/fwe', '--lengths', '2k', '--samples', '1', '--out', join(dir, 'x')]);
    chmodSync(dir, 0o700);
    // root ignores permission bits; a file in the way fails for everyone.
    const blocker = join(dir, 'file');
    writeFileSync(blocker, '');
    const r2 = run(['generate', '--task', 'ruler/fwe', '--lengths', '2k', '--samples', '1', '--out', join(blocker, 'sub')]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain(`Cannot write to --out ${join(blocker, 'sub')}`);
    if (process.getuid?.() !== 0) expect(r.code).toBe(1);
  });

  it('lists tasks with categories, axes, parameters and defaults', () => {
    const r = run(['tasks']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ruler/niah  (v1)  retrieval  scope=low dispersion=low  scorer=numbered');
    expect(r.stdout).toContain('    keys = 4 [moves dispersion]');
    const json = JSON.parse(run(['tasks', '--json']).stdout) as { id: string; params: Record<string, { default: unknown }> }[];
    expect(json.find((t) => t.id === 'ruler/vt')?.params['hops']?.default).toBe(4);
  });

  it('validate reports the line and field of a bad sample', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-val-'));
    const file = join(dir, 'samples.jsonl');
    writeFileSync(file, '{"id":"a"}\nnot json\n');
    const r = run(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('line 1: /task is required [required]');
    expect(r.stdout).toContain('line 2: invalid JSON');
  });
});
