// The doctor's checks on described hosts (a fake file tree, environment, ldconfig cache and
// nvidia-smi answer) and its report; the smoke session in real child processes, with stand-ins for
// onnxruntime-node that fail, crash, hang or compute wrongly.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cudaEngineEnv, cudaLibraryDirs, cudaProviderNeeds } from '../../../runner/engine/runtime/cuda-env.js';
import { cudaLibraries, cudaWorkerEnv, pythonSitePackages } from '../../../runner/engine/runtime/cuda-libraries.js';
import { checkCuda, checkWebgpu, formatDoctor, probeCuda, runDoctor, type SmokeRunner } from '../../../runner/engine/runtime/doctor.js';
import { parseLdconfig, type CommandOutput, type Host, type LdconfigEntry } from '../../../runner/engine/runtime/host.js';
import { nvidiaStatus, parseNvidiaSmi } from '../../../runner/engine/runtime/nvidia-gpu.js';
import { explainFailure, smokeTest, type SmokeResult } from '../../../runner/engine/runtime/session-smoke.js';
import { fakeElf, fakeFatbin } from './fake-elf.js';

const root = mkdtempSync(join(tmpdir(), 'lw-doctor-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const CUDA13 = ['libcublasLt.so.13', 'libcublas.so.13', 'libcurand.so.10', 'libcudart.so.13', 'libcuda.so.1'];
const NOT_INSTALLED: CommandOutput = { status: null, stdout: '', stderr: '', error: 'ENOENT' };
const H100: CommandOutput = { status: 0, stdout: '0, NVIDIA H100 80GB HBM3, 00000000:18:00.0, 9.0, 580.159.04, 81559\n', stderr: '' };

let counter = 0;
function touch(path: string, data: Buffer | string = ''): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  return path;
}

/** A host: its own root folder, onnxruntime-node folder, and the given environment and commands. */
function fakeHost(options: { env?: NodeJS.ProcessEnv; ldconfig?: LdconfigEntry[]; smi?: CommandOutput; python?: string[]; provider?: { ortVersion?: string; archs?: string[] } } = {}): Host & { dir: string } {
  const dir = join(root, `host-${++counter}`);
  const binDir = join(dir, 'ort', 'bin');
  touch(join(binDir, 'libonnxruntime.so.1'), fakeElf());
  if (options.provider) {
    const cuda = fakeElf({ needed: [...CUDA13, 'libstdc++.so.6', 'libc.so.6'], rodata: [options.provider.ortVersion ?? '1.29.0'], fatbin: fakeFatbin([[{ arch: 90, payload: Buffer.alloc(32, 1) }]]) });
    const shared = fakeElf();
    touch(join(binDir, 'libonnxruntime_providers_cuda.so'), cuda);
    touch(join(binDir, 'libonnxruntime_providers_shared.so'), shared);
    if (options.provider.archs) {
      const files = { 'libonnxruntime_providers_cuda.so': { sha256: 'x', bytes: cuda.length }, 'libonnxruntime_providers_shared.so': { sha256: 'y', bytes: shared.length } };
      touch(join(binDir, 'longweave-cuda-provider.json'), JSON.stringify({ package: 'p', version: '0.4.9', onnxruntimeVersion: '1.29.0', source: 's', installedAt: '', archs: options.provider.archs, files }));
    }
  }
  return {
    dir,
    platform: 'linux',
    arch: 'x64',
    env: options.env ?? {},
    root: dir,
    home: join(dir, 'home'),
    onnxruntime: () => ({ packageDir: join(dir, 'ort'), version: '1.29.0', binDir }),
    ldconfig: () => options.ldconfig ?? [],
    pythonSitePackages: () => options.python ?? [],
    nvidiaSmi: () => options.smi ?? NOT_INSTALLED,
  };
}

const okSmoke = (seen: { runtime: string; env: NodeJS.ProcessEnv | undefined }[] = []): SmokeRunner => async (runtime, options) => {
  seen.push({ runtime, env: options.env });
  return { runtime, ok: true, ms: 12, log: [] };
};

describe('CUDA checks', () => {
  it('on a host with nothing: no provider (and the install command), no GPU, every library missing', () => {
    const host = fakeHost();
    const check = checkCuda(host);
    expect(check.problems.map((p) => p.reason)).toEqual([
      `no CUDA provider: libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so are not in ${join(host.dir, 'ort', 'bin')}`,
      'no NVIDIA GPU: nvidia-smi is not installed, and no NVIDIA driver (/proc/driver/nvidia is absent)',
      'missing libcublasLt.so.13 (cuBLASLt), libcublas.so.13 (cuBLAS), libcurand.so.10 (cuRAND), libcudart.so.13 (CUDA runtime), libcuda.so.1 (NVIDIA driver API): not on LD_LIBRARY_PATH, in the ldconfig cache, the system folders, CUDA_HOME/CUDA_PATH, /usr/local/cuda*, or a Python environment\'s nvidia-* wheels',
    ]);
    expect(check.problems[0]!.fix).toBe('npx longweave engine install cuda (offline: --from the package\'s .tgz or folder)');
    expect(check.problems[2]!.fix).toContain('pip install nvidia-cublas nvidia-cuda-runtime nvidia-curand');
    expect(check.problems[2]!.fix).toContain('install the NVIDIA driver (libcuda.so.1 comes with it');
    expect(check.libraries.libraryPath).toEqual([]);
  });

  it('finds the libraries in a virtualenv\'s nvidia wheels, CUDA_HOME and the loader cache, and puts only the first two on the worker\'s path', async () => {
    const venv = join(root, `venv-${++counter}`);
    const wheels = join(venv, 'lib', 'python3.12', 'site-packages', 'nvidia', 'cu13', 'lib');
    for (const lib of ['libcublasLt.so.13', 'libcublas.so.13', 'libcurand.so.10']) touch(join(wheels, lib));
    const cudaHome = join(root, `cuda-home-${counter}`);
    touch(join(cudaHome, 'lib64', 'libcudart.so.13'));
    const host = fakeHost({
      env: { VIRTUAL_ENV: venv, CUDA_HOME: cudaHome, LD_LIBRARY_PATH: '/opt/user/lib' },
      ldconfig: [{ name: 'libcuda.so.1', path: '/usr/lib/x86_64-linux-gnu/libcuda.so.1' }],
      smi: H100,
      provider: { archs: ['sm_90'] },
    });
    const check = checkCuda(host);
    expect(check.problems).toEqual([]);
    expect(check.provider).toMatchObject({ installed: true, onnxruntimeVersion: '1.29.0', coreVersion: '1.29.0', needs: CUDA13 });
    expect(check.libraries.libraries.map((l) => [l.name, l.found?.path, l.found?.via, l.found?.onLoaderPath])).toEqual([
      ['libcublasLt.so.13', join(wheels, 'libcublasLt.so.13'), 'Python nvidia-* wheels', false],
      ['libcublas.so.13', join(wheels, 'libcublas.so.13'), 'Python nvidia-* wheels', false],
      ['libcurand.so.10', join(wheels, 'libcurand.so.10'), 'Python nvidia-* wheels', false],
      ['libcudart.so.13', join(cudaHome, 'lib64', 'libcudart.so.13'), 'CUDA_HOME', false],
      ['libcuda.so.1', '/usr/lib/x86_64-linux-gnu/libcuda.so.1', 'ldconfig cache', true],
      ['libcudnn.so.9', undefined, undefined, undefined],
    ]);
    expect(check.libraries.libraryPath).toEqual([wheels, join(cudaHome, 'lib64')]);
    expect(cudaWorkerEnv(check.libraries.libraryPath, { PATH: '/bin', LD_LIBRARY_PATH: '/opt/user/lib' })).toEqual({
      PATH: '/bin',
      LD_LIBRARY_PATH: `${wheels}:${join(cudaHome, 'lib64')}:/opt/user/lib`,
      ORT_CUDA_TUNABLE_OP_ENABLE: '1',
    });

    const seen: { runtime: string; env: NodeJS.ProcessEnv | undefined }[] = [];
    const verdict = await probeCuda(host, { smokeTest: okSmoke(seen) });
    expect(verdict).toMatchObject({ usable: true, reason: 'NVIDIA H100 80GB HBM3 (sm_90), driver 580.159.04, CUDA provider onnxruntime 1.29.0', problems: [] });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.env).toMatchObject({ VIRTUAL_ENV: venv, LD_LIBRARY_PATH: `${wheels}:${join(cudaHome, 'lib64')}:/opt/user/lib`, ORT_CUDA_TUNABLE_OP_ENABLE: '1' });
  });

  it('gives the CUDA worker the folders of the libraries the installed provider itself needs', () => {
    const host = fakeHost();
    expect(cudaProviderNeeds(host)).toEqual(CUDA13);
    // A CUDA 12 build (onnxruntime-node's own download) names other sonames.
    touch(join(host.dir, 'ort', 'bin', 'libonnxruntime_providers_cuda.so'), fakeElf({ needed: ['libcublas.so.12', 'libcudart.so.12', 'libcudnn.so.9', 'libstdc++.so.6', 'libm.so.6', 'ld-linux-x86-64.so.2'] }));
    expect(cudaProviderNeeds(host)).toEqual(['libcublas.so.12', 'libcudart.so.12', 'libcudnn.so.9']);
    const cu12 = join(host.dir, 'usr', 'local', 'cuda-12.8', 'lib64');
    touch(join(cu12, 'libcublas.so.12'));
    touch(join(cu12, 'libcudart.so.12'));
    const cudnn = join(root, `site-${counter}`, 'nvidia', 'cudnn', 'lib');
    touch(join(cudnn, 'libcudnn.so.9'));
    const withPython = { ...host, pythonSitePackages: () => [join(root, `site-${counter}`)] };
    expect(cudaLibraryDirs(withPython)).toEqual([cu12, cudnn]);
    expect(cudaEngineEnv({ HOME: '/h' }, withPython)).toEqual({ HOME: '/h', LD_LIBRARY_PATH: `${cu12}:${cudnn}`, ORT_CUDA_TUNABLE_OP_ENABLE: '1' });
  });

  it('reports the loader\'s words when the smoke session fails, and runs no session when static checks fail (unless asked)', async () => {
    const failing: SmokeRunner = async (runtime) => ({ runtime, ok: false, ms: 5, log: [], error: 'libonnxruntime_providers_cuda.so did not load: libcublasLt.so.13: cannot open shared object file: No such file or directory' });
    const host = fakeHost({ smi: H100, provider: {}, ldconfig: CUDA13.map((name) => ({ name, path: `/usr/lib/${name}` })) });
    const verdict = await probeCuda(host, { smokeTest: failing });
    expect(verdict.usable).toBe(false);
    expect(verdict.reason).toBe('a CUDA session failed: libonnxruntime_providers_cuda.so did not load: libcublasLt.so.13: cannot open shared object file: No such file or directory');

    const bare = fakeHost({ provider: {} });
    const seen: { runtime: string; env: NodeJS.ProcessEnv | undefined }[] = [];
    expect((await probeCuda(bare, { smokeTest: okSmoke(seen) })).usable).toBe(false);
    expect(seen).toEqual([]);
    const always = await probeCuda(bare, { smokeTest: failing, always: true });
    expect(always.problems.map((p) => p.reason.slice(0, 26))).toEqual(['no NVIDIA GPU: nvidia-smi ', 'missing libcublasLt.so.13 ', 'a CUDA session failed: lib']);
  });

  it('names both versions of a mismatched provider, a GPU that a reduced provider cannot run on, and files changed since install', () => {
    const mismatched = checkCuda(fakeHost({ smi: H100, provider: { ortVersion: '1.30.0' } }));
    expect(mismatched.problems[0]).toEqual({ reason: 'the CUDA provider is onnxruntime 1.30.0, onnxruntime-node is 1.29.0; they must be the same version', fix: 'npx longweave engine install cuda --force' });
    const a100: CommandOutput = { status: 0, stdout: '0, NVIDIA A100-SXM4-80GB, 00000000:07:00.0, 8.0, 570.86.15, 81920\n', stderr: '' };
    const reduced = checkCuda(fakeHost({ smi: a100, provider: { archs: ['sm_90'] } }));
    expect(reduced.problems[0]).toEqual({
      reason: 'the installed provider carries GPU code for sm_90 only (a reduced build); NVIDIA A100-SXM4-80GB (sm_80) needs sm_80',
      fix: 'npx longweave engine install cuda --force (the full provider)',
    });
    const host = fakeHost({ smi: H100, provider: { archs: ['sm_90'] } });
    writeFileSync(join(host.dir, 'ort', 'bin', 'libonnxruntime_providers_shared.so'), 'truncated');
    expect(checkCuda(host).problems[0]!.reason).toBe(`libonnxruntime_providers_shared.so is 9 bytes, the install record says ${fakeElf().length}: changed since it was installed`);
    // An sm_89 GPU runs sm_86 cubins (same major, lower minor).
    const ada: CommandOutput = { status: 0, stdout: '0, NVIDIA L40S, 00000000:07:00.0, 8.9, 570.86.15, 46068\n', stderr: '' };
    expect(checkCuda(fakeHost({ smi: ada, provider: { archs: ['sm_80', 'sm_86'] } })).problems.filter((p) => p.reason.includes('reduced'))).toEqual([]);
  });

  it('refuses on other platforms before looking at anything', () => {
    const check = checkCuda({ ...fakeHost(), platform: 'darwin', arch: 'arm64' });
    expect(check.problems).toEqual([{ reason: 'the CUDA provider is for Linux x64; this is darwin/arm64' }]);
  });
});

describe('NVIDIA GPU and driver', () => {
  it('reads nvidia-smi\'s CSV: names, PCI addresses, compute capability, memory and driver', () => {
    expect(parseNvidiaSmi('0, NVIDIA H100 80GB HBM3, 00000000:18:00.0, 9.0, 580.159.04, 81559\n1, NVIDIA H100 80GB HBM3, 00000000:2A:00.0, 9.0, 580.159.04, 81559\n')).toEqual({
      gpus: [
        { index: 0, name: 'NVIDIA H100 80GB HBM3', pci: '0000:18:00.0', computeCapability: 90, memoryMiB: 81559 },
        { index: 1, name: 'NVIDIA H100 80GB HBM3', pci: '0000:2a:00.0', computeCapability: 90, memoryMiB: 81559 },
      ],
      driverVersion: '580.159.04',
    });
  });

  it('falls back to /proc/driver/nvidia, and quotes nvidia-smi when it fails', () => {
    const host = fakeHost({ smi: { status: 9, stdout: 'NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver.\n', stderr: '' } });
    expect(nvidiaStatus(host)).toEqual({ gpus: [], source: 'none', problem: 'no NVIDIA GPU: nvidia-smi failed: NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver., and no NVIDIA driver (/proc/driver/nvidia is absent)' });
    touch(join(host.dir, 'proc', 'driver', 'nvidia', 'version'), 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.159.04  Thu Oct  9 2025\nGCC version:  gcc version 12\n');
    touch(join(host.dir, 'proc', 'driver', 'nvidia', 'gpus', '0000:18:00.0', 'information'), 'Model: \t\t NVIDIA H200\nIRQ: 1\n');
    expect(nvidiaStatus(host)).toEqual({ gpus: [{ index: 0, pci: '0000:18:00.0', name: 'NVIDIA H200' }], driverVersion: '580.159.04', source: '/proc/driver/nvidia', problem: 'nvidia-smi failed: NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver.' });
  });
});

describe('library search places', () => {
  it('finds site-packages of python3 on PATH (a venv by its folder, not its link), ~/.local, and the toolkits newest first', () => {
    const host = fakeHost();
    const venv = join(host.dir, 'opt', 'torch', '.venv');
    touch(join(venv, 'bin', 'python3'));
    mkdirSync(join(venv, 'lib', 'python3.12', 'site-packages'), { recursive: true });
    mkdirSync(join(host.home, '.local', 'lib', 'python3.11', 'site-packages'), { recursive: true });
    const withPath = { ...host, env: { PATH: `${join(venv, 'bin')}:${join(host.dir, 'no-such-bin')}` }, pythonSitePackages: () => ['/usr/lib/python3/dist-packages'] };
    expect(pythonSitePackages(withPath)).toEqual([join(venv, 'lib', 'python3.12', 'site-packages'), join(host.home, '.local', 'lib', 'python3.11', 'site-packages'), '/usr/lib/python3/dist-packages']);

    touch(join(host.dir, 'usr', 'local', 'cuda-12.4', 'lib64', 'libcudart.so.12'));
    touch(join(host.dir, 'usr', 'local', 'cuda-13.0', 'targets', 'x86_64-linux', 'lib', 'libcudart.so.13'));
    touch(join(host.dir, 'usr', 'local', 'cuda-13.1', 'lib64', 'libcublas.so.13'));
    const search = cudaLibraries(withPath, ['libcudart.so.13', 'libcublas.so.13']);
    const toolkits = search.searched.filter((p) => p.via === 'CUDA toolkit').map((p) => p.dir.slice(host.dir.length));
    expect(toolkits).toEqual(['/usr/local/cuda/lib64', '/usr/local/cuda/targets/x86_64-linux/lib', '/usr/local/cuda-13.1/lib64', '/usr/local/cuda-13.1/targets/x86_64-linux/lib', '/usr/local/cuda-13.0/lib64', '/usr/local/cuda-13.0/targets/x86_64-linux/lib', '/usr/local/cuda-12.4/lib64', '/usr/local/cuda-12.4/targets/x86_64-linux/lib', '/opt/cuda/lib64', '/opt/cuda/targets/x86_64-linux/lib']);
    expect(search.libraries.map((l) => l.found?.path.slice(host.dir.length))).toEqual(['/usr/local/cuda-13.0/targets/x86_64-linux/lib/libcudart.so.13', '/usr/local/cuda-13.1/lib64/libcublas.so.13', undefined]);
  });

  it('parses ldconfig -p, keeping x86-64 entries', () => {
    const text = '1234 libs found in cache `/etc/ld.so.cache\'\n\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1\n\tlibcuda.so.1 (libc6) => /usr/lib/i386-linux-gnu/libcuda.so.1\n\tlibvulkan.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libvulkan.so.1\n';
    expect(parseLdconfig(text)).toEqual([{ name: 'libcuda.so.1', path: '/usr/lib/x86_64-linux-gnu/libcuda.so.1' }, { name: 'libvulkan.so.1', path: '/lib/x86_64-linux-gnu/libvulkan.so.1' }]);
  });
});

describe('WebGPU checks and the report', () => {
  it('wants a GPU and the Vulkan loader on Linux', () => {
    expect(checkWebgpu(fakeHost()).map((p) => p.reason)).toEqual(['no GPU found (looked in /proc/driver/nvidia/gpus, /sys/class/drm and nvidia-smi)', 'the Vulkan loader libvulkan.so.1 is not installed']);
    expect(checkWebgpu(fakeHost({ smi: H100, ldconfig: [{ name: 'libvulkan.so.1', path: '/lib/x86_64-linux-gnu/libvulkan.so.1' }] }))).toEqual([]);
    expect(checkWebgpu({ ...fakeHost(), platform: 'darwin' })).toEqual([]);
  });

  it('reports every runtime as JSON and as text', async () => {
    const host = fakeHost({ provider: { archs: ['sm_90'] } });
    const smoke: SmokeRunner = async (runtime) => (runtime === 'cpu' ? { runtime, ok: true, ms: 400, log: [] } : { runtime, ok: false, ms: 300, log: [], error: `${runtime} failed here` });
    const report = await runDoctor(host, { smokeTest: smoke });
    expect(report.runtimes.map((r) => [r.runtime, r.usable])).toEqual([['cpu', true], ['webgpu', false], ['cuda', false]]);
    expect(report.runtimes[2]!.problems.map((p) => p.reason.split(':')[0])).toEqual(['no NVIDIA GPU', 'missing libcublasLt.so.13 (cuBLASLt), libcublas.so.13 (cuBLAS), libcurand.so.10 (cuRAND), libcudart.so.13 (CUDA runtime), libcuda.so.1 (NVIDIA driver API)', 'a CUDA session failed']);
    expect(report.onnxruntime).toEqual({ version: '1.29.0', binDir: join(host.dir, 'ort', 'bin') });
    expect(report.cudaWorkerEnv).toEqual({ LD_LIBRARY_PATH: '', ORT_CUDA_TUNABLE_OP_ENABLE: '1' });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    const text = formatDoctor(report);
    expect(text).toContain('CUDA provider   onnxruntime 1.29.0 from p@0.4.9, GPU code for sm_90\n');
    expect(text).toContain('cpu     usable: onnxruntime\'s CPU provider ran the smoke session (smoke session 0.4 s)\n');
    expect(text).toContain('cuda    not usable\n  - no NVIDIA GPU: nvidia-smi is not installed');
    expect(text).toContain('  - a CUDA session failed: cuda failed here\n');
    expect(text).toContain('  libcublasLt.so.13  not found\n');
    expect(text).toContain('CUDA worker env  LD_LIBRARY_PATH=(unchanged) ORT_CUDA_TUNABLE_OP_ENABLE=1 (the worker process only)');
  });
});

describe('smoke session in a child process', () => {
  const standIn = (name: string, body: string): string => touch(join(root, 'stand-ins', `${name}.cjs`), body);

  it('runs Add and MatMul on onnxruntime\'s CPU provider', async () => {
    const result = await smokeTest('cpu');
    expect(result).toMatchObject({ runtime: 'cpu', ok: true });
  });

  it('extracts the loader\'s message from onnxruntime\'s log', async () => {
    const entry = standIn('load-fails', `
      process.stderr.write('\\x1b[1;31m2026-12-06 [E:onnxruntime:onnxruntime-node, provider_bridge_ort.cc:2146 Create] FAIL : Failed to load library /x/libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file: No such file or directory\\x1b[m\\n');
      exports.InferenceSession = { create: async () => { throw new Error('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library'); } };
      exports.Tensor = class {};`);
    const result = await smokeTest('cuda', { entry });
    expect(result.ok).toBe(false);
    expect(result.error).toBe('libonnxruntime_providers_cuda.so did not load: libcublasLt.so.13: cannot open shared object file: No such file or directory');
    expect(result.crashed).toBeUndefined();
  });

  it('survives a native abort of the child and says so', async () => {
    const entry = standIn('aborts', `
      process.stderr.write('terminate called after throwing an instance of std::out_of_range\\n');
      exports.InferenceSession = { create: async () => process.abort() };
      exports.Tensor = class {};`);
    const result: SmokeResult = await smokeTest('cuda', { entry });
    expect(result).toMatchObject({ ok: false, crashed: 'SIGABRT' });
    expect(result.error).toBe('the process crashed (killed by SIGABRT): terminate called after throwing an instance of std::out_of_range');
  });

  it('flags wrong results and a session that hangs', async () => {
    const wrong = standIn('wrong', `
      exports.Tensor = class { constructor(t, d) { this.data = d; } };
      exports.InferenceSession = { create: async () => ({ run: async () => ({ sum: { data: [0, 0, 0] }, product: { data: [19, 22, 43, 50] } }), release: async () => {} }) };`);
    expect((await smokeTest('webgpu', { entry: wrong })).error).toBe('wrong results: sum [0,0,0] (expected [11,22,33]), product [19,22,43,50] (expected [19,22,43,50])');
    const hangs = standIn('hangs', `exports.Tensor = class {}; exports.InferenceSession = { create: () => new Promise(() => setInterval(() => {}, 1000)) };`);
    const result = await smokeTest('cuda', { entry: hangs, timeoutMs: 1500 });
    expect(result).toMatchObject({ ok: false, crashed: 'timeout', error: 'the smoke test did not finish in 2 s' });
  });

  it('keeps the message of onnxruntime\'s assertions and adds Dawn\'s warning', () => {
    expect(explainFailure('Error: /onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:100 lambda adapter_result.status == Success was false. Failed to get a WebGPU adapter: No supported adapters', ['Warning: Couldn\'t load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory'])).toBe(
      'Failed to get a WebGPU adapter: No supported adapters; Couldn\'t load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory',
    );
  });
});
