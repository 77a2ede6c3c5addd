// Where the CUDA libraries that the provider needs are on this host. The provider names them as
// NEEDED entries (libcublasLt.so.13, libcublas.so.13, libcurand.so.10, libcudart.so.13, libcuda.so.1)
// and has no RUNPATH, so the dynamic loader finds them only through LD_LIBRARY_PATH, its cache
// (/etc/ld.so.cache, `ldconfig -p`) and the system folders. They are often installed elsewhere: a
// CUDA toolkit under /usr/local/cuda-13.x, CUDA_HOME, or Python wheels (nvidia-cublas, ... install
// to site-packages/nvidia/cu13/lib). This module looks in all those places, says where each library
// is or where it looked, and gives the folders to put on LD_LIBRARY_PATH of the engine's CUDA worker
// process (glibc reads LD_LIBRARY_PATH once, at process start, so it is set for that child only).
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import type { Host } from './host.js';

/** Where a library was found. */
export interface LibraryLocation {
  path: string;
  /** The search place that had it: 'LD_LIBRARY_PATH', 'ldconfig cache', 'CUDA_HOME', 'Python site-packages', ... */
  via: string;
  /** True when the loader finds it on its own (LD_LIBRARY_PATH, its cache or the system folders). */
  onLoaderPath: boolean;
}

/** One library the provider needs, or may load. */
export interface LibraryStatus {
  name: string;
  /** What it is, for messages. */
  role: string;
  required: boolean;
  found?: LibraryLocation;
}

/** A folder searched, and why it was. */
export interface SearchPlace {
  dir: string;
  via: string;
  onLoaderPath: boolean;
}

/** The result of a search. */
export interface LibrarySearch {
  libraries: LibraryStatus[];
  /** Every folder looked in, in order (the ldconfig cache is one entry, dir '(ld.so.cache)'). */
  searched: SearchPlace[];
  /** Folders to prepend to LD_LIBRARY_PATH so that the loader finds every library found. */
  libraryPath: string[];
}

/** The C and C++ runtime libraries Node itself loads: always present, never searched. */
const SYSTEM_RUNTIME = /^(libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s)\.so(\.\d+)*$|^ld-linux/;

const ROLES: Record<string, string> = {
  'libcuda.so.1': 'NVIDIA driver API (installed with the driver)',
  'libcudart.so': 'CUDA runtime',
  'libcublas.so': 'cuBLAS',
  'libcublasLt.so': 'cuBLASLt',
  'libcurand.so': 'cuRAND',
  'libcudnn.so': 'cuDNN (loaded on demand by some operators, not needed by the engine\'s graphs)',
};

function role(name: string): string {
  const stem = /^(lib[\w+]+\.so)/.exec(name)?.[1] ?? name;
  return ROLES[name] ?? ROLES[stem] ?? 'CUDA library';
}

/** The optional libraries the CUDA provider may load later (dlopen); reported, not required. */
export const OPTIONAL_CUDA_LIBRARIES = ['libcudnn.so.9'];

/** The libraries of a provider's NEEDED list that the host must supply (the C/C++ runtime left out). */
export function cudaDependencies(needed: readonly string[]): string[] {
  return needed.filter((n) => !SYSTEM_RUNTIME.test(n));
}

function sortedVersionDirs(parent: string, prefix: string): string[] {
  if (!existsSync(parent)) return [];
  const numeric = (name: string): number[] => name.slice(prefix.length).split('.').map((x) => Number.parseInt(x, 10) || 0);
  return readdirSync(parent)
    .filter((name) => name.startsWith(prefix))
    .sort((a, b) => {
      const x = numeric(a);
      const y = numeric(b);
      for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (y[i] ?? 0) - (x[i] ?? 0);
      return 0;
    })
    .map((name) => join(parent, name));
}

/** site-packages folders of the Python environments this host has. */
export function pythonSitePackages(host: Host): string[] {
  const prefixes: string[] = [];
  const env = host.env;
  for (const v of ['VIRTUAL_ENV', 'CONDA_PREFIX']) if (env[v]) prefixes.push(env[v]!);
  // Every python3 on PATH: a venv's bin/python3 is a link to the system's, so its site-packages is
  // found from the folder it is in, not from where the link points.
  for (const dir of (env['PATH'] ?? '').split(delimiter).filter(Boolean)) {
    if (existsSync(join(dir, 'python3')) || existsSync(join(dir, 'python'))) prefixes.push(dirname(dir));
  }
  prefixes.push(join(host.home, '.local'));
  const sites: string[] = [];
  for (const prefix of prefixes) {
    for (const lib of ['lib', 'lib64']) {
      for (const py of sortedVersionDirs(join(prefix, lib), 'python3')) {
        for (const leaf of ['site-packages', 'dist-packages']) if (existsSync(join(py, leaf))) sites.push(join(py, leaf));
      }
    }
  }
  sites.push(...host.pythonSitePackages());
  return [...new Set(sites)];
}

/** The folders searched, in the loader's order first, then the places CUDA is usually installed. */
export function searchPlaces(host: Host): SearchPlace[] {
  const r = (p: string): string => join(host.root, p);
  const env = host.env;
  const places: SearchPlace[] = [];
  const add = (dir: string, via: string, onLoaderPath = false): void => {
    if (!places.some((p) => p.dir === dir)) places.push({ dir, via, onLoaderPath });
  };
  for (const dir of (env['LD_LIBRARY_PATH'] ?? '').split(':').filter(Boolean)) add(dir, 'LD_LIBRARY_PATH', true);
  add('(ld.so.cache)', 'ldconfig cache', true);
  for (const dir of ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib']) add(r(dir), 'system folder', true);
  for (const v of ['CUDA_HOME', 'CUDA_PATH', 'CUDA_ROOT']) {
    const home = env[v];
    if (home) for (const sub of ['lib64', 'lib', 'targets/x86_64-linux/lib']) add(join(home, sub), v);
  }
  for (const cuda of [r('/usr/local/cuda'), ...sortedVersionDirs(r('/usr/local'), 'cuda-'), r('/opt/cuda')]) {
    for (const sub of ['lib64', 'targets/x86_64-linux/lib']) add(join(cuda, sub), 'CUDA toolkit');
  }
  for (const site of pythonSitePackages(host)) {
    for (const sub of ['nvidia/cu13/lib', 'nvidia/cublas/lib', 'nvidia/cuda_runtime/lib', 'nvidia/curand/lib', 'nvidia/cudnn/lib']) add(join(site, sub), 'Python nvidia-* wheels');
  }
  // The driver's libcuda.so.1 where container runtimes and WSL mount it.
  for (const dir of ['/usr/local/nvidia/lib64', '/usr/local/nvidia/lib', '/usr/lib/wsl/lib']) add(r(dir), 'NVIDIA driver folder');
  return places;
}

/**
 * Looks for each of `required` (and the optional CUDA libraries) in the loader's paths and the usual
 * CUDA places; see the file's header.
 * @example cudaLibraries(systemHost(), ['libcublasLt.so.13', 'libcudart.so.13']).libraryPath
 */
export function cudaLibraries(host: Host, required: readonly string[], optional: readonly string[] = OPTIONAL_CUDA_LIBRARIES): LibrarySearch {
  const searched = searchPlaces(host);
  const cache = host.platform === 'linux' ? host.ldconfig() : [];
  const locate = (name: string): LibraryLocation | undefined => {
    for (const place of searched) {
      if (place.dir === '(ld.so.cache)') {
        const hit = cache.find((e) => e.name === name);
        if (hit) return { path: hit.path, via: place.via, onLoaderPath: true };
        continue;
      }
      const path = join(place.dir, name);
      if (existsSync(path)) return { path, via: place.via, onLoaderPath: place.onLoaderPath };
    }
    return undefined;
  };
  const libraries: LibraryStatus[] = [
    ...required.map((name) => ({ name, role: role(name), required: true })),
    ...optional.filter((n) => !required.includes(n)).map((name) => ({ name, role: role(name), required: false })),
  ].map((lib) => {
    const found = locate(lib.name);
    return found ? { ...lib, found } : lib;
  });
  const libraryPath = [...new Set(libraries.flatMap((l) => (l.found && !l.found.onLoaderPath ? [dirname(l.found.path)] : [])))];
  return { libraries, searched, libraryPath };
}

/**
 * The environment for a process that runs the CUDA provider: `base` plus LD_LIBRARY_PATH with the
 * folders that hold the CUDA libraries first, and ORT_CUDA_TUNABLE_OP_ENABLE=1 (the only way Node
 * can enable onnxruntime's tunable ops, which the fused sparse kernel needs). Give it to a child
 * process, never to this one: the loader has read LD_LIBRARY_PATH already.
 * @example spawn(process.execPath, [worker], { env: cudaWorkerEnv(cudaLibraries(systemHost(), needed).libraryPath) })
 */
export function cudaWorkerEnv(libraryPath: readonly string[], base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const existing = (base['LD_LIBRARY_PATH'] ?? '').split(':').filter(Boolean);
  const joined = [...new Set([...libraryPath, ...existing])].join(':');
  return { ...base, ...(joined ? { LD_LIBRARY_PATH: joined } : {}), ORT_CUDA_TUNABLE_OP_ENABLE: '1' };
}
