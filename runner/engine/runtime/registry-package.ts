// Fetches one package's tarball from the npm registry the user's npm is configured for, with
// progress and the registry's sha512 integrity checked. It runs only when the user asks for it
// (`engine install cuda`); nothing at `npm ci` or at run time downloads. A registry that wants
// credentials (401/403) is left to `npm pack`, which knows the user's .npmrc tokens.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { EnvHttpProxyAgent, fetch, type Dispatcher } from 'undici';

export const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

/** A download's progress: bytes so far and, when the registry said, in all. */
export type DownloadProgress = (received: number, total: number | undefined) => void;

/** Options of `fetchPackageTarball`. */
export interface FetchOptions {
  /** Registry base URL (default: `npm config get registry`). */
  registry?: string;
  onProgress?: DownloadProgress;
  /** Log lines (which registry, fallbacks). */
  log?: (line: string) => void;
}

/** A fetched tarball. */
export interface FetchedTarball {
  file: string;
  /** Where it came from (the tarball URL, or `npm pack name@version`). */
  source: string;
  bytes: number;
}

/**
 * The registry npm is configured for (`npm config get registry`, which honours .npmrc files and
 * npm_config_registry), with a trailing slash; the public registry when npm cannot be asked.
 * @example npmRegistry() // 'https://registry.npmjs.org/'
 */
export function npmRegistry(): string {
  const fromEnv = process.env['npm_config_registry'] ?? process.env['NPM_CONFIG_REGISTRY'];
  let url = fromEnv;
  if (!url) {
    const asked = spawnSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8', timeout: 15_000 });
    url = asked.status === 0 ? asked.stdout.trim() : undefined;
  }
  if (!url || !/^https?:\/\//.test(url)) url = DEFAULT_REGISTRY;
  return url.endsWith('/') ? url : `${url}/`;
}

function dispatcher(): Dispatcher | undefined {
  const proxied = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'].some((v) => process.env[v]);
  return proxied ? new EnvHttpProxyAgent() : undefined;
}

/** The registry answered with an HTTP error. */
export class RegistryError extends Error {
  constructor(readonly url: string, readonly status: number, detail = '') {
    super(`${url} answered HTTP ${status}${detail ? `: ${detail}` : ''}.`);
    this.name = 'RegistryError';
  }
}

async function get(url: string, agent: Dispatcher | undefined, accept?: string): Promise<Awaited<ReturnType<typeof fetch>>> {
  try {
    return await fetch(url, { ...(accept ? { headers: { accept } } : {}), ...(agent ? { dispatcher: agent } : {}) });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new Error(`Could not reach ${url}${cause}. Without a registry, download the package elsewhere and use --from.`);
  }
}

async function getJson(url: string, agent: Dispatcher | undefined): Promise<unknown> {
  const response = await get(url, agent, 'application/json');
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new RegistryError(url, response.status);
  }
  return response.json();
}

interface DistInfo {
  tarball: string;
  integrity?: string;
  shasum?: string;
}

async function distInfo(registry: string, name: string, version: string, agent: Dispatcher | undefined): Promise<DistInfo> {
  const base = `${registry}${name.startsWith('@') ? name.replace('/', '%2f') : name}`;
  let manifest: { dist?: DistInfo; versions?: Record<string, { dist?: DistInfo }> };
  try {
    manifest = (await getJson(`${base}/${version}`, agent)) as typeof manifest;
  } catch (error) {
    // Some registries serve only the whole packument, not /name/version.
    if (!(error instanceof RegistryError) || error.status !== 404) throw error;
    manifest = (await getJson(base, agent)) as typeof manifest;
    manifest = manifest.versions?.[version] ?? {};
  }
  if (!manifest.dist?.tarball) throw new Error(`The registry ${registry} has no ${name}@${version} (no dist.tarball in its manifest).`);
  return manifest.dist;
}

function checkIntegrity(dist: DistInfo, sha512: Buffer, sha1: Buffer, url: string): void {
  const sri = dist.integrity?.split(/\s+/).find((s) => s.startsWith('sha512-'));
  if (sri) {
    const expected = sri.slice('sha512-'.length);
    if (sha512.toString('base64') !== expected) throw new Error(`${url}: the download's sha512 is ${sha512.toString('base64')}, the registry says ${expected}; not using it.`);
  } else if (dist.shasum && sha1.toString('hex') !== dist.shasum) {
    throw new Error(`${url}: the download's sha1 is ${sha1.toString('hex')}, the registry says ${dist.shasum}; not using it.`);
  }
}

/**
 * Downloads `name@version`'s tarball into `dir`, checking the registry's integrity hash; falls back
 * to `npm pack` when the registry asks for credentials.
 * @throws RegistryError / Error when the package is missing, the transfer fails or the hash differs.
 * @example await fetchPackageTarball('com.github.asus4.onnxruntime.linux-x64-gpu', '0.4.9', tmp, { onProgress })
 */
export async function fetchPackageTarball(name: string, version: string, dir: string, options: FetchOptions = {}): Promise<FetchedTarball> {
  const registry = options.registry ?? npmRegistry();
  const agent = dispatcher();
  let dist: DistInfo;
  try {
    dist = await distInfo(registry, name, version, agent);
  } catch (error) {
    if (error instanceof RegistryError && (error.status === 401 || error.status === 403)) return npmPack(name, version, dir, options.log);
    throw error;
  }
  options.log?.(`fetching ${name}@${version} from ${dist.tarball}`);
  const response = await get(dist.tarball, agent);
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    return npmPack(name, version, dir, options.log);
  }
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel();
    throw new RegistryError(dist.tarball, response.status);
  }
  const header = response.headers.get('content-length');
  const total = header ? Number(header) : undefined;
  const sha512 = createHash('sha512');
  const sha1 = createHash('sha1');
  let received = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sha512.update(chunk);
      sha1.update(chunk);
      received += chunk.length;
      options.onProgress?.(received, total);
      done(null, chunk);
    },
  });
  const file = join(dir, `${name.replace(/[@/]/g, '_')}-${version}.tgz`);
  await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), meter, createWriteStream(file));
  if (total !== undefined && received !== total) throw new Error(`${dist.tarball}: received ${received} of ${total} bytes.`);
  checkIntegrity(dist, sha512.digest(), sha1.digest(), dist.tarball);
  return { file, source: dist.tarball, bytes: received };
}

/** `npm pack` into `dir`: npm's own credentials, proxy and certificates apply. */
function npmPack(name: string, version: string, dir: string, log?: (line: string) => void): FetchedTarball {
  log?.(`the registry wants credentials: running npm pack ${name}@${version}`);
  const before = new Set(readdirSync(dir));
  const packed = spawnSync('npm', ['pack', `${name}@${version}`, '--pack-destination', dir, '--silent'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (packed.status !== 0) throw new Error(`npm pack ${name}@${version} failed (exit ${packed.status ?? packed.signal}).`);
  const file = readdirSync(dir).find((f) => f.endsWith('.tgz') && !before.has(f));
  if (!file) throw new Error(`npm pack ${name}@${version} wrote no .tgz into ${dir}.`);
  return { file: join(dir, file), source: `npm pack ${name}@${version}`, bytes: 0 };
}
