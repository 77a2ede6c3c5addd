// Where onnxruntime-node keeps its native libraries, and which CUDA provider package matches it.
// onnxruntime loads an execution provider's library (libonnxruntime_providers_cuda.so, with
// libonnxruntime_providers_shared.so) from the folder of its own libonnxruntime.so.1, so that is where
// `engine install cuda` puts them. The folder is found through module resolution from this file, so
// it is the onnxruntime-node this package actually loads, in a project, a global install or npx's cache.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The registry package that carries onnxruntime's CUDA provider for onnxruntime-node 1.29.0. */
export const CUDA_PROVIDER_PACKAGE = {
  name: 'com.github.asus4.onnxruntime.linux-x64-gpu',
  version: '0.4.9',
  /** Where the libraries sit inside the package. */
  libraryDir: 'Plugins/Linux/x64',
  /** onnxruntime 1.29.0 built for CUDA 13 (and cuDNN 9), MIT licence. */
  cudaMajor: 13,
} as const;

/** The provider's libraries that onnxruntime loads from its own folder. */
export const PROVIDER_LIBRARIES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'] as const;
export const CUDA_PROVIDER_LIBRARY = PROVIDER_LIBRARIES[0];

/** The record `engine install cuda` writes beside the libraries. */
export const PROVIDER_RECORD = 'longweave-cuda-provider.json';

/** The command that installs the provider, for messages. */
export const INSTALL_COMMAND = 'npx longweave engine install cuda';

/** onnxruntime-node's package and native folder. */
export interface OnnxruntimeLocation {
  /** The onnxruntime-node package folder. */
  packageDir: string;
  /** onnxruntime-node's version, which is its core library's onnxruntime version. */
  version: string;
  /** bin/napi-v6/<platform>/<arch>: the binding, libonnxruntime.so.1 and the providers. */
  binDir: string;
}

function packageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name;
      if (name === 'onnxruntime-node') return dir;
    }
    if (dirname(dir) === dir) throw new Error(`No onnxruntime-node package.json above ${start}.`);
  }
}

/**
 * The onnxruntime-node that this package loads: its folder, version and native folder.
 * @throws Error when onnxruntime-node cannot be resolved.
 * @example locateOnnxruntime().binDir // '.../node_modules/onnxruntime-node/bin/napi-v6/linux/x64'
 */
export function locateOnnxruntime(platform: string = process.platform, arch: string = process.arch): OnnxruntimeLocation {
  const main = createRequire(import.meta.url).resolve('onnxruntime-node');
  const packageDir = packageRoot(dirname(main));
  const version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
  return { packageDir, version, binDir: join(packageDir, 'bin', 'napi-v6', platform, arch) };
}

/** The core library's file name on Linux. */
export const CORE_LIBRARY = 'libonnxruntime.so.1';
