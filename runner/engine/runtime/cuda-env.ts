// The environment of a process that runs the CUDA provider (the engine's CUDA worker, the doctor's
// smoke session): LD_LIBRARY_PATH with the folders of the CUDA libraries the installed provider
// needs, wherever on this host they are, and onnxruntime's tunable-op switch. Only ever given to a
// child process: glibc reads LD_LIBRARY_PATH at process start, and a worker thread's process.env is
// not the native environment. The user's own environment is never changed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cudaDependencies, cudaLibraries, cudaWorkerEnv } from './cuda-libraries.js';
import { readDynamic } from './elf.js';
import { systemHost, type Host } from './host.js';
import { CUDA_PROVIDER_LIBRARY } from './onnxruntime-location.js';

/** The CUDA libraries the registry provider (onnxruntime 1.29.0 for CUDA 13) needs. */
export const CUDA13_PROVIDER_NEEDS = ['libcublasLt.so.13', 'libcublas.so.13', 'libcurand.so.10', 'libcudart.so.13', 'libcuda.so.1'];

/**
 * The CUDA libraries the installed provider names as NEEDED (the registry build's list when none is installed).
 * @example cudaProviderNeeds(systemHost()) // ['libcublasLt.so.13', 'libcublas.so.13', 'libcurand.so.10', 'libcudart.so.13', 'libcuda.so.1']
 */
export function cudaProviderNeeds(host: Host = systemHost()): string[] {
  try {
    const library = join(host.onnxruntime().binDir, CUDA_PROVIDER_LIBRARY);
    return existsSync(library) ? cudaDependencies(readDynamic(library).needed) : CUDA13_PROVIDER_NEEDS;
  } catch {
    return CUDA13_PROVIDER_NEEDS;
  }
}

/**
 * The folders to put first on LD_LIBRARY_PATH of a CUDA engine process: where the provider's CUDA
 * libraries were found outside the loader's own paths (Python wheels, /usr/local/cuda-*, CUDA_HOME).
 * @example cudaLibraryDirs() // ['/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib']
 */
export function cudaLibraryDirs(host: Host = systemHost()): string[] {
  return cudaLibraries(host, cudaProviderNeeds(host)).libraryPath;
}

/**
 * The environment for a child process that runs the CUDA provider: `base` with those folders in
 * front of LD_LIBRARY_PATH and ORT_CUDA_TUNABLE_OP_ENABLE=1.
 * @example fork(workerFile, { env: cudaEngineEnv() })
 */
export function cudaEngineEnv(base: NodeJS.ProcessEnv = process.env, host: Host = systemHost()): NodeJS.ProcessEnv {
  return cudaWorkerEnv(cudaLibraryDirs(host), base);
}
