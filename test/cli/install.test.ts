// Installing downloads nothing and npm warns about nothing of ours: onnxruntime-node's install
// script (an optional CUDA download) is denied in package.json's allowScripts, which npm 11
// honours, and no project .npmrc carries keys npm does not know (npm warns about those on every
// `npx longweave`). npm 10 runs install scripts; CI and the README set ONNXRUNTIME_NODE_INSTALL=skip.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');

describe('installing', () => {
  it("denies onnxruntime-node's install script in package.json, not through an unknown npm key", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    expect(pkg.allowScripts?.['onnxruntime-node']).toBe(false);
    const npmrc = join(ROOT, '.npmrc');
    const keys = existsSync(npmrc) ? readFileSync(npmrc, 'utf8').split('\n').map((l) => l.replace(/[#;].*$/, '').split('=')[0]!.trim()).filter(Boolean) : [];
    expect(keys).not.toContain('onnxruntime-node-install');
    expect(readFileSync(join(ROOT, '.ci', 'run'), 'utf8')).toContain('export ONNXRUNTIME_NODE_INSTALL=skip');
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('ONNXRUNTIME_NODE_INSTALL=skip npm ci');
  });
});
