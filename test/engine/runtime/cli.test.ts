// `longweave engine doctor` and `engine install cuda` from the command line: the report's JSON
// shape, and the install's refusals (which stop before anything is placed).
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DoctorReport } from '../../../runner/engine/runtime/doctor.js';
import { fakeElf } from './fake-elf.js';

const root = mkdtempSync(join(tmpdir(), 'lw-runtime-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { encoding: 'utf8' });

describe('longweave engine doctor', () => {
  it('prints the whole report as JSON', () => {
    const result = cli(['engine', 'doctor', '--json', '--no-smoke']);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as DoctorReport;
    expect(report.runtimes.map((r) => r.runtime)).toEqual(['cpu', 'webgpu', 'cuda']);
    expect(report.onnxruntime?.version).toBe('1.29.0');
    expect(report.cudaWorkerEnv.ORT_CUDA_TUNABLE_OP_ENABLE).toBe('1');
    expect(report.cuda.libraries.libraries.map((l) => l.name)).toEqual(expect.arrayContaining(['libcublasLt.so.13', 'libcudart.so.13', 'libcuda.so.1']));
    // Without smoke sessions nothing is claimed to work beyond the CPU's default.
    expect(report.runtimes.find((r) => r.runtime === 'webgpu')!.smoke).toBeUndefined();
  });
});

describe('longweave engine install cuda', () => {
  it('refuses a provider of another onnxruntime version with both versions, and a missing source', () => {
    const lib = join(root, 'pkg', 'package', 'Plugins', 'Linux', 'x64');
    mkdirSync(lib, { recursive: true });
    writeFileSync(join(root, 'pkg', 'package', 'package.json'), JSON.stringify({ name: 'some-provider', version: '2.0.0' }));
    writeFileSync(join(lib, 'libonnxruntime_providers_cuda.so'), fakeElf({ needed: ['libcudart.so.12'], rodata: ['1.31.0'] }));
    writeFileSync(join(lib, 'libonnxruntime_providers_shared.so'), fakeElf());
    const wrong = cli(['engine', 'install', 'cuda', '--from', join(root, 'pkg')]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain(`longweave: The CUDA provider ${join(lib, 'libonnxruntime_providers_cuda.so')} is built from onnxruntime 1.31.0, but onnxruntime-node is 1.29.0;`);
    const missing = cli(['engine', 'install', 'cuda', '--from', join(root, 'absent.tgz')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`longweave: --from ${join(root, 'absent.tgz')}: no such file or folder.\n`);
  });
});
