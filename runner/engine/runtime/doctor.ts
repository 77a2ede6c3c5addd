// `engine doctor`: which runtimes (CPU, WebGPU, CUDA) work on this host and, for each one that does
// not, exactly why and what fixes it. Static checks first (provider files and version, GPU and
// driver, the CUDA libraries the provider needs, the Vulkan loader), then the definitive check, a
// smoke session in a child process (session-smoke.ts) that runs with the environment the engine's
// worker would get. The same checks back `--device auto` (resolve-device.ts).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { discoverGpus } from '../../pool/devices.js';
import { readProviderRecord, type ProviderRecord } from './cuda-install.js';
import { CUDA13_PROVIDER_NEEDS } from './cuda-env.js';
import { cudaDependencies, cudaLibraries, cudaWorkerEnv, type LibrarySearch } from './cuda-libraries.js';
import { readDynamic } from './elf.js';
import { archName, cubinRunsOn } from './fatbin.js';
import type { Host } from './host.js';
import { describeGpu, nvidiaStatus, type NvidiaStatus } from './nvidia-gpu.js';
import { CUDA_PROVIDER_LIBRARY, CUDA_PROVIDER_PACKAGE, INSTALL_COMMAND, PROVIDER_LIBRARIES, type OnnxruntimeLocation } from './onnxruntime-location.js';
import { providerOrtVersion } from './ort-version.js';
import { smokeTest, type Runtime, type SmokeOptions, type SmokeResult } from './session-smoke.js';

/** A reason a runtime is not usable, and what fixes it. */
export interface Problem {
  reason: string;
  fix?: string;
}

/** The CUDA provider files in onnxruntime-node's folder. */
export interface ProviderStatus {
  binDir: string;
  coreVersion: string;
  files: { name: string; present: boolean; bytes?: number }[];
  installed: boolean;
  /** The onnxruntime version read from the provider library. */
  onnxruntimeVersion?: string;
  record?: ProviderRecord;
  /** CUDA libraries the provider's NEEDED entries name (the registry build's when none is installed). */
  needs: string[];
}

/** The static CUDA checks. */
export interface CudaCheck {
  provider?: ProviderStatus;
  nvidia: NvidiaStatus;
  libraries: LibrarySearch;
  problems: Problem[];
}

/** One runtime's verdict. */
export interface RuntimeVerdict {
  runtime: Runtime;
  usable: boolean;
  /** One line: what it runs on when usable, why not otherwise. */
  reason: string;
  problems: Problem[];
  smoke?: SmokeResult;
}

/** The doctor's whole report (`engine doctor --json`). */
export interface DoctorReport {
  platform: string;
  arch: string;
  node: string;
  onnxruntime?: { version: string; binDir: string };
  runtimes: RuntimeVerdict[];
  cuda: CudaCheck;
  /** The environment additions the engine's CUDA worker gets. */
  cudaWorkerEnv: { LD_LIBRARY_PATH: string; ORT_CUDA_TUNABLE_OP_ENABLE: string };
}

/** How the checks run a smoke session (tests inject a fake). */
export type SmokeRunner = (runtime: Runtime, options: SmokeOptions) => Promise<SmokeResult>;

function providerStatus(location: OnnxruntimeLocation): ProviderStatus {
  const files = PROVIDER_LIBRARIES.map((name) => {
    const path = join(location.binDir, name);
    return existsSync(path) ? { name, present: true, bytes: statSync(path).size } : { name, present: false };
  });
  const status: ProviderStatus = { binDir: location.binDir, coreVersion: location.version, files, installed: files.every((f) => f.present), needs: CUDA13_PROVIDER_NEEDS };
  const record = readProviderRecord(location.binDir);
  if (record) status.record = record;
  const library = join(location.binDir, CUDA_PROVIDER_LIBRARY);
  if (existsSync(library)) {
    const version = providerOrtVersion(library).version;
    if (version) status.onnxruntimeVersion = version;
    status.needs = cudaDependencies(readDynamic(library).needed);
  }
  return status;
}

function librariesProblem(search: LibrarySearch): Problem | undefined {
  const missing = search.libraries.filter((l) => l.required && !l.found);
  if (!missing.length) return undefined;
  const driver = missing.filter((l) => l.name.startsWith('libcuda.so'));
  const toolkit = missing.filter((l) => !l.name.startsWith('libcuda.so'));
  const names = missing.map((l) => `${l.name} (${l.role.split(' (')[0]})`).join(', ');
  const fixes: string[] = [];
  if (toolkit.length) {
    const major = /\.so\.(\d+)$/.exec(toolkit.find((l) => l.name.startsWith('libcudart') || l.name.startsWith('libcublas'))?.name ?? '')?.[1] ?? String(CUDA_PROVIDER_PACKAGE.cudaMajor);
    fixes.push(`install CUDA ${major}'s libraries: \`pip install nvidia-cublas nvidia-cuda-runtime nvidia-curand\` (their CUDA ${major} builds, into the Python environment on PATH), or the CUDA ${major} toolkit, or point CUDA_HOME or LD_LIBRARY_PATH at a folder that has them`);
  }
  if (driver.length) fixes.push('install the NVIDIA driver (libcuda.so.1 comes with it; in a container, start it with the NVIDIA container toolkit)');
  return { reason: `missing ${names}: not on LD_LIBRARY_PATH, in the ldconfig cache, the system folders, CUDA_HOME/CUDA_PATH, /usr/local/cuda*, or a Python environment's nvidia-* wheels`, fix: fixes.join('; ') };
}

/**
 * The static CUDA checks (no session is created): provider files and version, NVIDIA GPU and
 * driver, the GPU architectures the provider carries, the CUDA libraries.
 * @example checkCuda(systemHost()).problems.map((p) => p.reason)
 */
export function checkCuda(host: Host): CudaCheck {
  const problems: Problem[] = [];
  const nvidia = host.platform === 'linux' ? nvidiaStatus(host) : { gpus: [], source: 'none' as const, problem: 'no NVIDIA GPU probed (not Linux)' };
  if (host.platform !== 'linux' || host.arch !== 'x64') {
    problems.push({ reason: `the CUDA provider is for Linux x64; this is ${host.platform}/${host.arch}` });
    return { nvidia, libraries: { libraries: [], searched: [], libraryPath: [] }, problems };
  }
  let provider: ProviderStatus | undefined;
  try {
    provider = providerStatus(host.onnxruntime());
  } catch (error) {
    problems.push({ reason: `onnxruntime-node could not be inspected: ${(error as Error).message}`, fix: 'reinstall the package (npm ci)' });
  }
  if (provider) {
    const missing = provider.files.filter((f) => !f.present).map((f) => f.name);
    if (missing.length) {
      problems.push({ reason: `no CUDA provider: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not in ${provider.binDir}`, fix: `${INSTALL_COMMAND} (offline: --from the package's .tgz or folder)` });
    } else if (provider.onnxruntimeVersion === undefined) {
      problems.push({ reason: `cannot read which onnxruntime ${join(provider.binDir, CUDA_PROVIDER_LIBRARY)} is built from`, fix: `${INSTALL_COMMAND} --force` });
    } else if (provider.onnxruntimeVersion !== provider.coreVersion) {
      problems.push({ reason: `the CUDA provider is onnxruntime ${provider.onnxruntimeVersion}, onnxruntime-node is ${provider.coreVersion}; they must be the same version`, fix: `${INSTALL_COMMAND} --force` });
    }
    // A cheap integrity check against the install record (sizes; the sha256 is in the record for a full check).
    const changed = provider.files.filter((f) => f.present && provider!.record?.files[f.name] && provider!.record.files[f.name]!.bytes !== f.bytes);
    if (changed.length) {
      problems.push({ reason: `${changed.map((f) => `${f.name} is ${f.bytes} bytes, the install record says ${provider!.record!.files[f.name]!.bytes}`).join('; ')}: changed since it was installed`, fix: `${INSTALL_COMMAND} --force` });
    }
  }
  if (!nvidia.gpus.length) problems.push({ reason: nvidia.problem ?? 'no NVIDIA GPU' });
  const archs = provider?.record?.archs;
  if (archs && nvidia.gpus.length) {
    const kept = archs.map((a) => Number(a.replace('sm_', '')));
    const unfit = nvidia.gpus.filter((g) => g.computeCapability !== undefined && !kept.some((a) => cubinRunsOn(a, g.computeCapability!)));
    if (unfit.length) {
      problems.push({
        reason: `the installed provider carries GPU code for ${archs.join(', ')} only (a reduced build); ${unfit.map(describeGpu).join(', ')} needs ${archName(unfit[0]!.computeCapability!)}`,
        fix: `${INSTALL_COMMAND} --force (the full provider)`,
      });
    }
  }
  const libraries = cudaLibraries(host, provider?.needs ?? CUDA13_PROVIDER_NEEDS);
  const libs = librariesProblem(libraries);
  if (libs) problems.push(libs);
  return { ...(provider ? { provider } : {}), nvidia, libraries, problems };
}

function libvulkanFound(host: Host): boolean {
  if (host.ldconfig().some((e) => e.name === 'libvulkan.so.1')) return true;
  const dirs = [...(host.env['LD_LIBRARY_PATH'] ?? '').split(':').filter(Boolean), ...['/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib'].map((d) => join(host.root, d))];
  return dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')));
}

/**
 * The static WebGPU checks (Linux: a GPU and the Vulkan loader; elsewhere none).
 * @example checkWebgpu(systemHost()) // [{ reason: 'no GPU found (...)' }]
 */
export function checkWebgpu(host: Host, nvidia?: NvidiaStatus): Problem[] {
  if (host.platform !== 'linux') return [];
  const problems: Problem[] = [];
  const gpus = discoverGpus(host.root).length + (nvidia ?? nvidiaStatus(host)).gpus.length;
  if (!gpus) problems.push({ reason: 'no GPU found (looked in /proc/driver/nvidia/gpus, /sys/class/drm and nvidia-smi)' });
  if (!libvulkanFound(host)) problems.push({ reason: 'the Vulkan loader libvulkan.so.1 is not installed', fix: 'install libvulkan1 (Debian/Ubuntu) or vulkan-loader, and your GPU driver\'s Vulkan ICD' });
  return problems;
}

/** The environment a CUDA engine worker gets (LD_LIBRARY_PATH and the tunable-op switch), from a check. */
export function cudaEnvFor(check: CudaCheck, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return cudaWorkerEnv(check.libraries.libraryPath, base);
}

function cudaUsableReason(check: CudaCheck): string {
  const gpu = check.nvidia.gpus[0];
  const provider = check.provider?.onnxruntimeVersion ? `, CUDA provider onnxruntime ${check.provider.onnxruntimeVersion}` : '';
  const more = check.nvidia.gpus.length > 1 ? ` (+${check.nvidia.gpus.length - 1} more)` : '';
  return `${gpu ? describeGpu(gpu) : 'an NVIDIA GPU'}${more}${check.nvidia.driverVersion ? `, driver ${check.nvidia.driverVersion}` : ''}${provider}`;
}

/** Options of the probes and the doctor. */
export interface ProbeOptions {
  /** Run the smoke session (default true); false gives the static verdict only. */
  smoke?: boolean;
  smokeTest?: SmokeRunner;
  timeoutMs?: number;
}

/**
 * CUDA's verdict: static checks, then (when they pass, or `always` and a provider of the right
 * version is there) a smoke session with the CUDA worker's environment.
 * @example (await probeCuda(systemHost())).usable
 */
export async function probeCuda(host: Host, options: ProbeOptions & { always?: boolean } = {}): Promise<RuntimeVerdict & { check: CudaCheck }> {
  const check = checkCuda(host);
  const providerOk = check.provider?.installed === true && check.provider.onnxruntimeVersion === check.provider.coreVersion;
  const runSmoke = options.smoke !== false && providerOk && (check.problems.length === 0 || options.always === true);
  if (!runSmoke) {
    const first = check.problems[0];
    return { runtime: 'cuda', usable: false, reason: first ? first.reason : 'not checked (no smoke session)', problems: check.problems, check };
  }
  const run = options.smokeTest ?? smokeTest;
  const smoke = await run('cuda', { env: cudaEnvFor(check, host.env), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  if (smoke.ok) return { runtime: 'cuda', usable: true, reason: cudaUsableReason(check), problems: [], smoke, check };
  const problems = [...check.problems, { reason: `a CUDA session failed: ${smoke.error ?? 'unknown error'}` }];
  return { runtime: 'cuda', usable: false, reason: problems[0]!.reason, problems, smoke, check };
}

/**
 * WebGPU's verdict: static checks, then (when they pass, or `always`) a smoke session.
 * @example (await probeWebgpu(systemHost())).reason
 */
export async function probeWebgpu(host: Host, options: ProbeOptions & { always?: boolean; nvidia?: NvidiaStatus } = {}): Promise<RuntimeVerdict> {
  const problems = checkWebgpu(host, options.nvidia);
  if (options.smoke === false || (problems.length && !options.always)) {
    return { runtime: 'webgpu', usable: false, reason: problems[0]?.reason ?? 'not checked (no smoke session)', problems };
  }
  const smoke = await (options.smokeTest ?? smokeTest)('webgpu', { env: host.env, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  if (smoke.ok) return { runtime: 'webgpu', usable: true, reason: 'a WebGPU adapter ran the smoke session', problems: [], smoke };
  const all = [...problems, { reason: `a WebGPU session failed: ${smoke.error ?? 'unknown error'}` }];
  return { runtime: 'webgpu', usable: false, reason: all[0]!.reason, problems: all, smoke };
}

/**
 * Checks every runtime and returns the report (see the file's header). Smoke sessions run for the
 * CPU, for WebGPU, and for CUDA whenever a provider of the right version is installed, so the
 * loader's own words explain a failure that the static checks did not foresee.
 * @example formatDoctor(await runDoctor(systemHost()))
 */
export async function runDoctor(host: Host, options: ProbeOptions = {}): Promise<DoctorReport> {
  const cuda = await probeCuda(host, { ...options, always: true });
  const webgpu = await probeWebgpu(host, { ...options, always: true, nvidia: cuda.check.nvidia });
  let cpu: RuntimeVerdict = { runtime: 'cpu', usable: true, reason: 'not checked (no smoke session)', problems: [] };
  if (options.smoke !== false) {
    const smoke = await (options.smokeTest ?? smokeTest)('cpu', { env: host.env, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
    cpu = smoke.ok
      ? { runtime: 'cpu', usable: true, reason: 'onnxruntime\'s CPU provider ran the smoke session', problems: [], smoke }
      : { runtime: 'cpu', usable: false, reason: `the CPU session failed: ${smoke.error}`, problems: [{ reason: `the CPU session failed: ${smoke.error}`, fix: 'reinstall onnxruntime-node (npm ci)' }], smoke };
  }
  const { check, ...cudaVerdict } = cuda;
  const env = cudaEnvFor(check, {});
  const provider = check.provider;
  return {
    platform: host.platform,
    arch: host.arch,
    node: process.version,
    ...(provider ? { onnxruntime: { version: provider.coreVersion, binDir: provider.binDir } } : {}),
    runtimes: [cpu, webgpu, cudaVerdict],
    cuda: check,
    cudaWorkerEnv: { LD_LIBRARY_PATH: env['LD_LIBRARY_PATH'] ?? '', ORT_CUDA_TUNABLE_OP_ENABLE: env['ORT_CUDA_TUNABLE_OP_ENABLE'] ?? '1' },
  };
}

function groupedPlaces(search: LibrarySearch): string[] {
  const groups = new Map<string, string[]>();
  for (const place of search.searched) {
    if (place.dir === '(ld.so.cache)') {
      groups.set(place.via, []);
      continue;
    }
    if (place.via === 'system folder' || existsSync(place.dir)) groups.set(place.via, [...(groups.get(place.via) ?? []), place.dir]);
    else if (!groups.has(place.via)) groups.set(place.via, []);
  }
  return [...groups.entries()].map(([via, dirs]) => `${via}${dirs.length ? `: ${dirs.join(', ')}` : via === 'ldconfig cache' ? '' : ' (none present)'}`);
}

/**
 * The report as text for a terminal.
 * @example process.stdout.write(formatDoctor(report))
 */
export function formatDoctor(report: DoctorReport): string {
  const lines: string[] = [];
  lines.push(`host            ${report.platform}/${report.arch}, Node ${report.node}`);
  if (report.onnxruntime) lines.push(`onnxruntime     onnxruntime-node ${report.onnxruntime.version} (${report.onnxruntime.binDir})`);
  const nv = report.cuda.nvidia;
  lines.push(`NVIDIA          ${nv.gpus.length ? `${nv.gpus.map(describeGpu).join(', ')}${nv.driverVersion ? `, driver ${nv.driverVersion}` : ''} (${nv.source})` : (nv.problem ?? 'none')}`);
  const provider = report.cuda.provider;
  if (provider) {
    const record = provider.record;
    const what = provider.installed
      ? `onnxruntime ${provider.onnxruntimeVersion ?? '(version unreadable)'}${record ? ` from ${record.package}@${record.version}, GPU code for ${record.archs.join(', ')}` : ' (not installed by longweave)'}`
      : 'not installed';
    lines.push(`CUDA provider   ${what}`);
  }
  lines.push('');
  for (const r of report.runtimes) {
    const ms = r.smoke ? ` (smoke session ${(r.smoke.ms / 1000).toFixed(1)} s)` : '';
    lines.push(`${r.runtime.padEnd(7)} ${r.usable ? `usable: ${r.reason}${ms}` : 'not usable'}`);
    if (!r.usable) {
      for (const p of r.problems) {
        lines.push(`  - ${p.reason}`);
        if (p.fix) lines.push(`    fix: ${p.fix}`);
      }
    }
  }
  const libs = report.cuda.libraries;
  if (libs.libraries.length) {
    lines.push('', 'CUDA libraries the provider needs (it has no RUNPATH: the loader must find them)');
    const width = Math.max(...libs.libraries.map((l) => l.name.length));
    for (const l of libs.libraries) {
      const where = l.found ? `${l.found.path} (${l.found.via}${l.found.onLoaderPath ? '' : '; put on the CUDA worker\'s LD_LIBRARY_PATH'})` : 'not found';
      lines.push(`  ${l.name.padEnd(width)}  ${l.required ? '' : '(optional) '}${where}`);
    }
    lines.push('  looked in:');
    for (const g of groupedPlaces(libs)) lines.push(`    ${g}`);
    lines.push(`CUDA worker env  LD_LIBRARY_PATH=${report.cudaWorkerEnv.LD_LIBRARY_PATH || '(unchanged)'} ORT_CUDA_TUNABLE_OP_ENABLE=1 (the worker process only)`);
  }
  return `${lines.join('\n')}\n`;
}
