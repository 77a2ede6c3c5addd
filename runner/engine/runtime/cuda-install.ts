// `engine install cuda`: puts onnxruntime's CUDA provider next to onnxruntime-node's core library.
// The provider comes from the registry package (downloaded only now, never at `npm ci`), a local
// .tgz of it, or an unpacked folder. Before anything is replaced the provider is checked: a 64-bit
// x86 ELF library, built from the same onnxruntime version as onnxruntime-node (a mismatched
// provider aborts the process when loaded). Files are staged in the target folder under temporary
// names and renamed into place, so a reader never sees half a library; a record of what was
// installed (package, version, sha256 of each file, the GPU architectures it carries, the source)
// is written beside them last.
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { x as extractTar } from 'tar';
import { ELF_MACHINES, readElf } from './elf.js';
import { presentArchs, archName } from './fatbin.js';
import { CORE_LIBRARY, CUDA_PROVIDER_LIBRARY, CUDA_PROVIDER_PACKAGE, locateOnnxruntime, PROVIDER_LIBRARIES, PROVIDER_RECORD, type OnnxruntimeLocation } from './onnxruntime-location.js';
import { providerOrtVersion } from './ort-version.js';
import { fetchPackageTarball, type DownloadProgress } from './registry-package.js';

/** What `engine install cuda` records beside the libraries. */
export interface ProviderRecord {
  /** Package name and version the libraries came from ("unknown" for a bare folder). */
  package: string;
  version: string;
  /** The onnxruntime version the provider was built from (equal to onnxruntime-node's). */
  onnxruntimeVersion: string;
  /** Where it came from: a tarball URL, a .tgz path or a folder. */
  source: string;
  installedAt: string;
  /** GPU architectures whose code the provider carries (sm_90, ...); fewer after a reduction. */
  archs: string[];
  files: Record<string, { sha256: string; bytes: number }>;
}

/** Options of `installCudaProvider`. */
export interface InstallOptions {
  /** A .tgz of the provider package or a folder (the package, its parent, or the libraries' folder). */
  from?: string;
  /** Replace provider files that longweave did not install, or install a provider whose version cannot be read. */
  force?: boolean;
  /** onnxruntime-node's location (tests pass a fake one). */
  target?: OnnxruntimeLocation;
  platform?: string;
  arch?: string;
  /** Fetches the package's .tgz into a folder (default: the npm registry). */
  fetchTarball?: (dir: string, onProgress?: DownloadProgress) => Promise<{ file: string; source: string }>;
  onProgress?: DownloadProgress;
  log?: (line: string) => void;
}

/** What `installCudaProvider` did. */
export interface InstallResult {
  status: 'installed' | 'already-installed';
  binDir: string;
  record: ProviderRecord;
  /** Provider files that were there before and were replaced. */
  replaced: string[];
}

/** The provider was built from another onnxruntime version than onnxruntime-node's. */
export class ProviderVersionError extends Error {
  constructor(readonly providerVersion: string, readonly coreVersion: string, readonly file: string) {
    super(
      `The CUDA provider ${file} is built from onnxruntime ${providerVersion}, but onnxruntime-node is ${coreVersion}; ` +
        `a provider must match its core library's version exactly (for onnxruntime-node ${coreVersion}: ${CUDA_PROVIDER_PACKAGE.name}@${CUDA_PROVIDER_PACKAGE.version} carries onnxruntime 1.29.0).`,
    );
    this.name = 'ProviderVersionError';
  }
}

const sha256File = async (path: string): Promise<string> => {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
};

/** The folder holding the provider libraries inside a package folder, its parent or itself. */
function findLibraryDir(root: string): string | undefined {
  const candidates = [root, join(root, CUDA_PROVIDER_PACKAGE.libraryDir), join(root, 'package', CUDA_PROVIDER_PACKAGE.libraryDir), join(root, 'runtimes', 'linux-x64', 'native')];
  const direct = candidates.find((dir) => existsSync(join(dir, CUDA_PROVIDER_LIBRARY)));
  if (direct) return direct;
  // Any folder below (a package with another layout), x86-64 builds only.
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) stack.push(path);
      else if (entry.name === CUDA_PROVIDER_LIBRARY && safeMachine(path) === 62) return dir;
    }
  }
  return undefined;
}

function safeMachine(path: string): number | undefined {
  try {
    return readElf(path).machine;
  } catch {
    return undefined;
  }
}

function packageIdentity(libraryDir: string, root: string): { name: string; version: string } {
  for (let dir = libraryDir; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const json = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      return { name: json.name ?? 'unknown', version: json.version ?? 'unknown' };
    }
    if (dir === root || dirname(dir) === dir) return { name: 'unknown', version: 'unknown' };
  }
}

/**
 * Reads the record of an installed provider in `binDir`, or undefined when there is none.
 * @throws Error naming the file when the record is not valid JSON.
 * @example readProviderRecord(locateOnnxruntime().binDir)?.archs
 */
export function readProviderRecord(binDir: string): ProviderRecord | undefined {
  const path = join(binDir, PROVIDER_RECORD);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ProviderRecord;
  } catch (error) {
    throw new Error(`${path} is not valid JSON (${(error as Error).message}); remove it and install again.`);
  }
}

/**
 * Checks that `file` is an x86-64 provider built from onnxruntime `coreVersion`; returns that version.
 * @throws ProviderVersionError on a mismatch; Error when the file is no x86-64 ELF or (without force) its version cannot be read.
 * @example checkProviderVersion('libonnxruntime_providers_cuda.so', '1.29.0') // '1.29.0'
 */
export function checkProviderVersion(file: string, coreVersion: string, force = false): string {
  const machine = readElf(file).machine;
  if (machine !== 62) throw new Error(`${file} is built for ${ELF_MACHINES[machine] ?? `machine ${machine}`}, not x86-64.`);
  const scan = providerOrtVersion(file);
  if (scan.version === undefined) {
    const found = scan.candidates.length ? `several version strings (${scan.candidates.join(', ')})` : 'no version string';
    if (!force) throw new Error(`Cannot tell which onnxruntime ${file} is built from: its read-only data holds ${found}. --force installs it anyway.`);
    return scan.candidates.includes(coreVersion) ? coreVersion : 'unknown';
  }
  if (scan.version !== coreVersion) throw new ProviderVersionError(scan.version, coreVersion, file);
  return scan.version;
}

/** A provider package on disk, found from `--from` or fetched. */
export interface ProviderPackage {
  /** The folder holding the provider libraries. */
  libraryDir: string;
  /** Package name and version ("unknown" for a bare folder). */
  name: string;
  version: string;
  /** Where it came from: a tarball URL, a .tgz path or a folder. */
  source: string;
}

/**
 * Finds the provider libraries in `from` (a .tgz, unpacked into `work`, or a folder), or fetches
 * the registry package into `work` when `from` is not given.
 * @throws Error when `from` is missing or holds no provider, or the download fails.
 * @example const pkg = await obtainProviderPackage({ from: 'provider.tgz' }, workDir)
 */
export async function obtainProviderPackage(options: Pick<InstallOptions, 'from' | 'fetchTarball' | 'onProgress' | 'log'>, work: string): Promise<ProviderPackage> {
  const log = options.log ?? (() => undefined);
  let root: string;
  let source: string;
  if (options.from) {
    const from = resolve(options.from);
    if (!existsSync(from)) throw new Error(`--from ${from}: no such file or folder.`);
    if (statSync(from).isDirectory()) {
      root = from;
    } else if (/\.(tgz|tar\.gz)$/.test(from)) {
      root = await unpack(from, work);
    } else {
      throw new Error(`--from ${from}: give the provider package's .tgz (as npm pack writes it) or a folder.`);
    }
    source = from;
  } else {
    const fetch = options.fetchTarball ?? ((dir: string, onProgress?: DownloadProgress) => fetchPackageTarball(CUDA_PROVIDER_PACKAGE.name, CUDA_PROVIDER_PACKAGE.version, dir, { log, ...(onProgress ? { onProgress } : {}) }));
    const fetched = await fetch(work, options.onProgress);
    log(`unpacking ${basename(fetched.file)}`);
    root = await unpack(fetched.file, work);
    source = fetched.source;
  }
  const libraryDir = findLibraryDir(root);
  if (!libraryDir) throw new Error(`${source} holds no ${CUDA_PROVIDER_LIBRARY} (looked in it, ${CUDA_PROVIDER_PACKAGE.libraryDir} and package/${CUDA_PROVIDER_PACKAGE.libraryDir}).`);
  for (const file of PROVIDER_LIBRARIES) {
    if (!existsSync(join(libraryDir, file))) throw new Error(`${libraryDir} has ${CUDA_PROVIDER_LIBRARY} but no ${file}; the provider needs both.`);
  }
  const identity = packageIdentity(libraryDir, root);
  return { libraryDir, name: identity.name, version: identity.version, source };
}

/**
 * Installs the CUDA provider next to onnxruntime-node's core library (see the file's header).
 * @throws ProviderVersionError when the provider's onnxruntime version differs from onnxruntime-node's;
 *   Error on another platform, a missing file, an unwritable folder, or foreign provider files without `force`.
 * @example await installCudaProvider({ from: 'com.github.asus4.onnxruntime.linux-x64-gpu-0.4.9.tgz' })
 */
export async function installCudaProvider(options: InstallOptions = {}): Promise<InstallResult> {
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  if (platform !== 'linux' || arch !== 'x64') {
    throw new Error(`The CUDA provider is installed on Linux x64 only (this is ${platform}/${arch}). On Windows, onnxruntime-node ships its own CUDA support; elsewhere use --device webgpu or cpu.`);
  }
  const target = options.target ?? locateOnnxruntime(platform, arch);
  if (!existsSync(join(target.binDir, CORE_LIBRARY))) {
    throw new Error(`onnxruntime-node ${target.version} has no ${CORE_LIBRARY} in ${target.binDir}; reinstall onnxruntime-node (npm ci).`);
  }
  const work = mkdtempSync(join(tmpdir(), 'longweave-cuda-'));
  // Staged in the target folder itself, so renames are atomic (one file system).
  const stage = join(target.binDir, `.longweave-install-${process.pid}`);
  try {
    const pkg = await obtainProviderPackage(options, work);
    const { libraryDir } = pkg;
    const onnxruntimeVersion = checkProviderVersion(join(libraryDir, CUDA_PROVIDER_LIBRARY), target.version, options.force);
    const files: ProviderRecord['files'] = {};
    for (const file of PROVIDER_LIBRARIES) {
      const path = join(libraryDir, file);
      files[file] = { sha256: await sha256File(path), bytes: statSync(path).size };
    }

    const previous = readProviderRecord(target.binDir);
    const present = PROVIDER_LIBRARIES.filter((f) => existsSync(join(target.binDir, f)));
    if (previous && present.length === PROVIDER_LIBRARIES.length && PROVIDER_LIBRARIES.every((f) => previous.files[f]?.sha256 === files[f]!.sha256)) {
      const unchanged = await Promise.all(PROVIDER_LIBRARIES.map(async (f) => (await sha256File(join(target.binDir, f))) === files[f]!.sha256));
      if (unchanged.every(Boolean)) return { status: 'already-installed', binDir: target.binDir, record: previous, replaced: [] };
    }
    const foreign = present.filter((f) => !previous?.files[f]);
    if (foreign.length && !options.force) {
      const existing = join(target.binDir, CUDA_PROVIDER_LIBRARY);
      const scan = existsSync(existing) ? providerOrtVersion(existing) : undefined;
      const what = scan?.version ? ` (onnxruntime ${scan.version})` : '';
      throw new Error(
        `${target.binDir} already has ${foreign.join(' and ')}${what}, not installed by longweave (onnxruntime-node's own install script places a CUDA 12 build there). ` +
          '`longweave engine doctor` says whether it works here; --force replaces it.',
      );
    }

    const archs = presentArchs(join(libraryDir, CUDA_PROVIDER_LIBRARY)).map(archName);
    try {
      mkdirSync(stage, { recursive: true });
    } catch (error) {
      throw new Error(`Cannot write to ${target.binDir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): install as the user that installed onnxruntime-node, or with sudo for a global install.`);
    }
    for (const file of PROVIDER_LIBRARIES) copyFileSync(join(libraryDir, file), join(stage, file));
    const record: ProviderRecord = {
      package: pkg.name,
      version: pkg.version,
      onnxruntimeVersion,
      source: pkg.source,
      installedAt: new Date().toISOString(),
      archs,
      files,
    };
    // The record goes first (removed), libraries next, the new record last: a record never names files that are not fully in place.
    const recordPath = join(target.binDir, PROVIDER_RECORD);
    if (existsSync(recordPath)) unlinkSync(recordPath);
    for (const file of PROVIDER_LIBRARIES) renameSync(join(stage, file), join(target.binDir, file));
    writeFileSync(join(stage, PROVIDER_RECORD), `${JSON.stringify(record, null, 2)}\n`);
    renameSync(join(stage, PROVIDER_RECORD), recordPath);
    return { status: 'installed', binDir: target.binDir, record, replaced: present };
  } finally {
    rmSync(stage, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

/** Extracts the provider libraries and package.json files from a package tarball into `work`. */
async function unpack(tgz: string, work: string): Promise<string> {
  const dir = join(work, 'unpacked');
  mkdirSync(dir, { recursive: true });
  const wanted = new Set<string>([...PROVIDER_LIBRARIES, 'package.json']);
  try {
    await extractTar({ file: tgz, cwd: dir, filter: (path) => wanted.has(basename(path)), strict: true });
  } catch (error) {
    throw new Error(`${tgz} could not be unpacked as a gzipped tar (${(error as Error).message}).`);
  }
  return dir;
}

/**
 * Removes a provider that `engine install cuda` installed (the files its record names, and the record).
 * @throws Error when there is no record (files not placed by longweave are left alone).
 * @example uninstallCudaProvider().removed // ['libonnxruntime_providers_cuda.so', ...]
 */
export function uninstallCudaProvider(target: OnnxruntimeLocation = locateOnnxruntime()): { binDir: string; removed: string[] } {
  const record = readProviderRecord(target.binDir);
  if (!record) throw new Error(`${target.binDir} has no ${PROVIDER_RECORD}: no provider installed by longweave to remove.`);
  const removed = Object.keys(record.files).filter((f) => existsSync(join(target.binDir, f)));
  for (const file of removed) unlinkSync(join(target.binDir, file));
  unlinkSync(join(target.binDir, PROVIDER_RECORD));
  return { binDir: target.binDir, removed };
}
