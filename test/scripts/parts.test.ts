// scripts/parts-split.sh and parts-join.sh: a file split into checksummed parts, the parts arriving
// over several "calls" into a store folder, a corrupted part refused, the whole reassembled and checked.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import seedrandom from 'seedrandom';

const root = mkdtempSync(join(tmpdir(), 'lw-parts-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const bash = (script: string, args: string[]) => spawnSync('bash', [join('scripts', script), ...args], { encoding: 'utf8' });
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const MiB = 1024 * 1024;

function blob(bytes: number, seed: string): Buffer {
  const rng = seedrandom(seed);
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) b[i] = Math.floor(rng() * 256);
  return b;
}

/** A folder holding what one call carries: the manifest and the given parts. */
function call(name: string, from: string, parts: string[]): string {
  const dir = join(root, name);
  mkdirSync(dir);
  for (const f of [...parts, 'provider.tar.xz.parts']) copyFileSync(join(from, f), join(dir, f));
  return dir;
}

describe('parts-split.sh / parts-join.sh', () => {
  const data = blob(2 * MiB + 12345, 'parts');
  const file = join(root, 'provider.tar.xz');
  writeFileSync(file, data);
  const out = join(root, 'split');

  it('splits into parts of at most N MiB with a manifest of sizes and sha256', () => {
    const split = bash('parts-split.sh', [file, '1', out]);
    expect(split.status).toBe(0);
    expect(split.stdout).toBe(`provider.tar.xz.part-01-of-03 ${MiB}\nprovider.tar.xz.part-02-of-03 ${MiB}\nprovider.tar.xz.part-03-of-03 12345\n`);
    const parts = ['provider.tar.xz.part-01-of-03', 'provider.tar.xz.part-02-of-03', 'provider.tar.xz.part-03-of-03'];
    expect(readdirSync(out).sort()).toEqual([...parts, 'provider.tar.xz.parts']);
    const slices = [data.subarray(0, MiB), data.subarray(MiB, 2 * MiB), data.subarray(2 * MiB)];
    expect(readFileSync(join(out, 'provider.tar.xz.parts'), 'utf8')).toBe(
      [`longweave-parts 1`, `file provider.tar.xz ${data.length} ${sha256(data)}`, ...parts.map((p, i) => `part ${i + 1} ${p} ${slices[i]!.length} ${sha256(slices[i]!)}`)].join('\n') + '\n',
    );
  });

  it('accumulates parts over calls, refuses a corrupted one, and reassembles when all are there', () => {
    const store = join(root, 'store');
    const first = bash('parts-join.sh', ['--store', store, call('call1', out, ['provider.tar.xz.part-01-of-03'])]);
    expect(first.status).toBe(3);
    expect(first.stderr).toContain('provider.tar.xz: 1 of 3 parts in');
    expect(first.stderr).toContain('waiting for part(s) 2 3');

    const second = call('call2', out, ['provider.tar.xz.part-02-of-03']);
    const corrupt = readFileSync(join(second, 'provider.tar.xz.part-02-of-03'));
    corrupt[1000] = corrupt[1000]! ^ 0xff;
    writeFileSync(join(second, 'provider.tar.xz.part-02-of-03'), corrupt);
    const refused = bash('parts-join.sh', ['--store', store, second]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`provider.tar.xz.part-02-of-03 is corrupt: ${MiB} bytes, sha256 ${sha256(corrupt)}; the manifest says ${MiB} bytes, sha256 ${sha256(data.subarray(MiB, 2 * MiB))}. Not kept; send it again.`);
    expect(existsSync(join(store, 'provider.tar.xz.part-02-of-03'))).toBe(false);

    expect(bash('parts-join.sh', ['--store', store, call('call3', out, ['provider.tar.xz.part-03-of-03'])]).status).toBe(3);
    const last = bash('parts-join.sh', ['--store', store, call('call4', out, ['provider.tar.xz.part-02-of-03'])]);
    expect(last.status).toBe(0);
    expect(last.stdout).toBe(`${join(store, 'provider.tar.xz')}\n`);
    expect(last.stderr).toContain(`provider.tar.xz assembled from 3 part(s): ${data.length} bytes, sha256 ok`);
    expect(sha256(readFileSync(join(store, 'provider.tar.xz')))).toBe(sha256(data));
    expect(readdirSync(store).sort()).toEqual(['provider.tar.xz', 'provider.tar.xz.parts']);
    // Asking again reports the file, without the parts.
    expect(bash('parts-join.sh', ['--store', store, join(out, 'provider.tar.xz.parts')]).stdout).toBe(`${join(store, 'provider.tar.xz')}\n`);
  });

  it('rejects a part without its manifest, a part the manifest does not list, and bad arguments', () => {
    const store = join(root, 'store2');
    const lone = join(root, 'lone');
    mkdirSync(lone);
    copyFileSync(join(out, 'provider.tar.xz.part-01-of-03'), join(lone, 'provider.tar.xz.part-01-of-03'));
    const noManifest = bash('parts-join.sh', ['--store', store, lone]);
    expect(noManifest.status).toBe(1);
    expect(noManifest.stderr).toContain('provider.tar.xz.part-01-of-03: no manifest provider.tar.xz.parts here or in');
    const stray = join(root, 'stray');
    mkdirSync(stray);
    copyFileSync(join(out, 'provider.tar.xz.parts'), join(stray, 'provider.tar.xz.parts'));
    writeFileSync(join(stray, 'provider.tar.xz.part-04-of-03'), 'x');
    expect(bash('parts-join.sh', ['--store', store, stray]).stderr).toContain('provider.tar.xz.part-04-of-03 is not listed in provider.tar.xz.parts');
    expect(bash('parts-join.sh', []).status).toBe(2);
    expect(bash('parts-split.sh', [file, '0']).stderr).toContain("MAX_MIB must be a positive whole number of MiB, got '0'");
    expect(bash('parts-split.sh', [join(root, 'absent')]).stderr).toContain('no such file');
  });
});
