// What the runtime checks read from the host, behind one interface so that tests can describe a
// machine (a fake file tree, an ldconfig cache, nvidia-smi's answer) instead of depending on the
// one they run on. `systemHost()` is the real machine; each of its external commands runs at most
// once per process.
import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { locateOnnxruntime, type OnnxruntimeLocation } from './onnxruntime-location.js';

/** One line of `ldconfig -p`: a library name and the file the loader's cache maps it to. */
export interface LdconfigEntry {
  name: string;
  path: string;
}

/** The outcome of a command the probes run. */
export interface CommandOutput {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Set when the command could not be started (ENOENT: not installed). */
  error?: string;
}

/** The host as the runtime checks see it. */
export interface Host {
  platform: string;
  arch: string;
  /** The environment of the process (LD_LIBRARY_PATH, CUDA_HOME, VIRTUAL_ENV, ...). */
  env: NodeJS.ProcessEnv;
  /** Prefix of system paths (/usr/local/cuda, /proc/driver/nvidia, ...): '/' except in tests. */
  root: string;
  home: string;
  onnxruntime: () => OnnxruntimeLocation;
  /** x86-64 entries of the dynamic loader's cache (`ldconfig -p`); empty where there is none. */
  ldconfig: () => LdconfigEntry[];
  /** site-packages folders that `python3` on PATH reports (empty without Python). */
  pythonSitePackages: () => string[];
  /** `nvidia-smi --query-gpu=...` (see nvidia-gpu.ts). */
  nvidiaSmi: () => CommandOutput;
}

function run(command: string, args: string[], timeout = 15_000): CommandOutput {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error) return { status: null, stdout: '', stderr: '', error: (result.error as NodeJS.ErrnoException).code ?? result.error.message };
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/**
 * Parses `ldconfig -p`, keeping x86-64 libraries.
 * @example parseLdconfig('\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1') // [{ name: 'libcuda.so.1', path: ... }]
 */
export function parseLdconfig(text: string): LdconfigEntry[] {
  const entries: LdconfigEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)\s*$/.exec(line);
    if (m && m[2]!.includes('x86-64')) entries.push({ name: m[1]!, path: m[3]! });
  }
  return entries;
}

const PYTHON_SITES = 'import json, site, sys\ntry:\n  paths = site.getsitepackages()\nexcept Exception:\n  paths = [p for p in sys.path if p.endswith("-packages")]\ntry:\n  paths.append(site.getusersitepackages())\nexcept Exception:\n  pass\nprint(json.dumps(paths))';

function once<T>(compute: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: compute() }).v;
}

/**
 * The machine this process runs on.
 * @example cudaLibraries(systemHost(), needed)
 */
export const systemHost = once((): Host => ({
  platform: process.platform,
  arch: process.arch,
  env: process.env,
  root: '/',
  home: homedir(),
  onnxruntime: once(() => locateOnnxruntime()),
  ldconfig: once(() => {
    for (const ldconfig of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
      const out = run(ldconfig, ['-p']);
      if (out.status === 0) return parseLdconfig(out.stdout);
    }
    return [];
  }),
  pythonSitePackages: once(() => {
    const out = run('python3', ['-c', PYTHON_SITES]);
    if (out.status !== 0) return [];
    try {
      return (JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '[]') as unknown[]).filter((p): p is string => typeof p === 'string');
    } catch {
      return [];
    }
  }),
  nvidiaSmi: once(() => run('nvidia-smi', ['--query-gpu=index,name,pci.bus_id,compute_cap,driver_version,memory.total', '--format=csv,noheader,nounits'], 20_000)),
}));
