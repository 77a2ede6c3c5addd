// `engine install cuda` against a fake onnxruntime-node folder: from a package folder, its .tgz and a
// (local) registry; version and architecture checks; what is placed and recorded; refusals.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { c as createTar } from 'tar';
import { installCudaProvider, ProviderVersionError, readProviderRecord, uninstallCudaProvider } from '../../../runner/engine/runtime/cuda-install.js';
import type { OnnxruntimeLocation } from '../../../runner/engine/runtime/onnxruntime-location.js';
import { fetchPackageTarball, RegistryError } from '../../../runner/engine/runtime/registry-package.js';
import { fakeElf, fakeFatbin } from './fake-elf.js';

const root = mkdtempSync(join(tmpdir(), 'lw-cuda-install-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const LIB = 'Plugins/Linux/x64';
const CUDA13 = ['libcublasLt.so.13', 'libcublas.so.13', 'libcurand.so.10', 'libcudart.so.13', 'libcuda.so.1', 'libstdc++.so.6', 'libc.so.6'];

let counter = 0;
/** A provider package folder (package/...) as npm unpacks it; returns the folder above package/. */
function fakePackage(options: { ortVersion?: string; archs?: number[]; machine?: number; withShared?: boolean; name?: string } = {}): string {
  const dir = join(root, `pkg-${++counter}`);
  const lib = join(dir, 'package', LIB);
  mkdirSync(lib, { recursive: true });
  writeFileSync(join(dir, 'package', 'package.json'), JSON.stringify({ name: options.name ?? 'com.github.asus4.onnxruntime.linux-x64-gpu', version: '0.4.9' }));
  const fatbin = fakeFatbin([(options.archs ?? [80, 90]).map((arch) => ({ arch, payload: Buffer.alloc(64 + arch, arch) }))]);
  writeFileSync(join(lib, 'libonnxruntime_providers_cuda.so'), fakeElf({ machine: options.machine ?? 62, needed: CUDA13, rodata: ['Replay', options.ortVersion ?? '1.29.0', `counter ${counter}`], fatbin }));
  if (options.withShared !== false) writeFileSync(join(lib, 'libonnxruntime_providers_shared.so'), fakeElf({ soname: 'libonnxruntime_providers_shared.so' }));
  writeFileSync(join(lib, 'libonnxruntime_providers_tensorrt.so'), fakeElf());
  return dir;
}

async function tgzOf(dir: string): Promise<string> {
  const file = `${dir}.tgz`;
  await createTar({ gzip: true, file, cwd: dir }, ['package']);
  return file;
}

let target: OnnxruntimeLocation;
beforeEach(() => {
  const packageDir = join(root, `ort-${++counter}`);
  const binDir = join(packageDir, 'bin', 'napi-v6', 'linux', 'x64');
  mkdirSync(binDir, { recursive: true });
  writeFileSync(join(binDir, 'libonnxruntime.so.1'), fakeElf({ rodata: ['1.29.0', '1.3.2'] }));
  target = { packageDir, version: '1.29.0', binDir };
});

describe('engine install cuda', () => {
  it('installs from an unpacked package folder: both libraries, byte for byte, and the record beside them, nothing else', async () => {
    const pkg = fakePackage();
    const src = join(pkg, 'package', LIB);
    const result = await installCudaProvider({ from: pkg, target });
    expect(result.status).toBe('installed');
    expect(result.replaced).toEqual([]);
    expect(readdirSync(target.binDir).sort()).toEqual(['libonnxruntime.so.1', 'libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so', 'longweave-cuda-provider.json']);
    for (const f of ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']) expect(readFileSync(join(target.binDir, f))).toEqual(readFileSync(join(src, f)));
    const record = readProviderRecord(target.binDir)!;
    expect(record).toEqual({
      package: 'com.github.asus4.onnxruntime.linux-x64-gpu',
      version: '0.4.9',
      onnxruntimeVersion: '1.29.0',
      source: pkg,
      installedAt: record.installedAt,
      archs: ['sm_80', 'sm_90'],
      files: {
        'libonnxruntime_providers_cuda.so': { sha256: sha256(join(src, 'libonnxruntime_providers_cuda.so')), bytes: readFileSync(join(src, 'libonnxruntime_providers_cuda.so')).length },
        'libonnxruntime_providers_shared.so': { sha256: sha256(join(src, 'libonnxruntime_providers_shared.so')), bytes: readFileSync(join(src, 'libonnxruntime_providers_shared.so')).length },
      },
    });
    expect(result.record).toEqual(record);
    expect(Date.parse(record.installedAt)).toBeGreaterThan(Date.parse('2026-01-01'));
  });

  it('installs from the package .tgz; the same package again is a no-op, another replaces it', async () => {
    const pkg = fakePackage({ archs: [75, 86, 90] });
    const tgz = await tgzOf(pkg);
    const first = await installCudaProvider({ from: tgz, target });
    expect(first.status).toBe('installed');
    expect(first.record.source).toBe(tgz);
    expect(first.record.archs).toEqual(['sm_75', 'sm_86', 'sm_90']);
    expect(sha256(join(target.binDir, 'libonnxruntime_providers_cuda.so'))).toBe(sha256(join(pkg, 'package', LIB, 'libonnxruntime_providers_cuda.so')));

    const again = await installCudaProvider({ from: tgz, target });
    expect(again.status).toBe('already-installed');
    expect(again.record.installedAt).toBe(first.record.installedAt);

    const other = fakePackage({ archs: [90] });
    const replaced = await installCudaProvider({ from: other, target });
    expect(replaced.status).toBe('installed');
    expect(replaced.replaced).toEqual(['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']);
    expect(readProviderRecord(target.binDir)!.archs).toEqual(['sm_90']);
    expect(readdirSync(target.binDir)).toHaveLength(4);
  });

  it('fetches the registry package when no --from is given', async () => {
    const tgz = await tgzOf(fakePackage());
    const asked: string[] = [];
    const result = await installCudaProvider({
      target,
      fetchTarball: async (dir) => {
        asked.push(dir);
        const file = join(dir, 'fetched.tgz');
        writeFileSync(file, readFileSync(tgz));
        return { file, source: 'http://registry.test/pkg/-/pkg-0.4.9.tgz' };
      },
    });
    expect(asked).toHaveLength(1);
    expect(result.record.source).toBe('http://registry.test/pkg/-/pkg-0.4.9.tgz');
    expect(existsSync(asked[0]!)).toBe(false);
  });

  it('refuses a provider of another onnxruntime version, naming both versions, and changes nothing', async () => {
    await installCudaProvider({ from: fakePackage(), target });
    const before = readdirSync(target.binDir).map((f) => [f, sha256(join(target.binDir, f))]);
    const wrong = fakePackage({ ortVersion: '1.30.0' });
    const attempt = installCudaProvider({ from: wrong, target, force: true });
    await expect(attempt).rejects.toThrow(ProviderVersionError);
    await expect(installCudaProvider({ from: wrong, target })).rejects.toThrow(
      `The CUDA provider ${join(wrong, 'package', LIB, 'libonnxruntime_providers_cuda.so')} is built from onnxruntime 1.30.0, but onnxruntime-node is 1.29.0; a provider must match its core library's version exactly`,
    );
    expect(readdirSync(target.binDir).map((f) => [f, sha256(join(target.binDir, f))])).toEqual(before);
  });

  it('refuses to replace provider files it did not install unless forced', async () => {
    writeFileSync(join(target.binDir, 'libonnxruntime_providers_cuda.so'), fakeElf({ rodata: ['1.29.0', 'cuda 12 build'] }));
    writeFileSync(join(target.binDir, 'libonnxruntime_providers_shared.so'), fakeElf());
    const pkg = fakePackage();
    await expect(installCudaProvider({ from: pkg, target })).rejects.toThrow(
      `${target.binDir} already has libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so (onnxruntime 1.29.0), not installed by longweave`,
    );
    expect(readProviderRecord(target.binDir)).toBeUndefined();
    const forced = await installCudaProvider({ from: pkg, target, force: true });
    expect(forced.replaced).toEqual(['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']);
    expect(sha256(join(target.binDir, 'libonnxruntime_providers_cuda.so'))).toBe(sha256(join(pkg, 'package', LIB, 'libonnxruntime_providers_cuda.so')));
  });

  it('refuses other platforms, other machines, incomplete packages and unknown sources', async () => {
    await expect(installCudaProvider({ from: fakePackage(), target, platform: 'darwin', arch: 'arm64' })).rejects.toThrow('The CUDA provider is installed on Linux x64 only (this is darwin/arm64).');
    const arm = fakePackage({ machine: 183 });
    await expect(installCudaProvider({ from: arm, target })).rejects.toThrow('is built for AArch64, not x86-64.');
    await expect(installCudaProvider({ from: fakePackage({ withShared: false }), target })).rejects.toThrow('has libonnxruntime_providers_cuda.so but no libonnxruntime_providers_shared.so; the provider needs both.');
    await expect(installCudaProvider({ from: join(root, 'nowhere.tgz'), target })).rejects.toThrow(`--from ${join(root, 'nowhere.tgz')}: no such file or folder.`);
    const zip = join(root, 'provider.zip');
    writeFileSync(zip, 'PK');
    await expect(installCudaProvider({ from: zip, target })).rejects.toThrow('give the provider package\'s .tgz (as npm pack writes it) or a folder.');
    const empty = join(root, 'empty-folder');
    mkdirSync(empty);
    await expect(installCudaProvider({ from: empty, target })).rejects.toThrow(`${empty} holds no libonnxruntime_providers_cuda.so`);
    const broken = join(root, 'broken.tgz');
    writeFileSync(broken, 'not gzip at all');
    await expect(installCudaProvider({ from: broken, target })).rejects.toThrow(`${broken} could not be unpacked as a gzipped tar`);
    expect(readdirSync(target.binDir)).toEqual(['libonnxruntime.so.1']);
  });

  it('uninstalls what it installed, and only that', async () => {
    await installCudaProvider({ from: fakePackage(), target });
    expect(uninstallCudaProvider(target)).toEqual({ binDir: target.binDir, removed: ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'] });
    expect(readdirSync(target.binDir)).toEqual(['libonnxruntime.so.1']);
    expect(() => uninstallCudaProvider(target)).toThrow('has no longweave-cuda-provider.json: no provider installed by longweave to remove.');
  });
});

describe('registry download', () => {
  async function serve(handler: (url: string) => { status: number; body: Buffer | string; type?: string }): Promise<{ server: Server; base: string }> {
    const server = createServer((req, res) => {
      const reply = handler(req.url ?? '');
      res.writeHead(reply.status, { 'content-type': reply.type ?? 'application/octet-stream', 'content-length': Buffer.byteLength(reply.body) });
      res.end(reply.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    return { server, base: `http://127.0.0.1:${address.port}/` };
  }

  it('downloads the tarball the manifest names, with progress, and checks its sha512', async () => {
    const tarball = readFileSync(await tgzOf(fakePackage()));
    const integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
    const seen: string[] = [];
    const { server, base } = await serve((url) => {
      seen.push(url);
      if (url === '/some.pkg/1.0.0') return { status: 404, body: '{}' };
      if (url === '/some.pkg') return { status: 200, type: 'application/json', body: JSON.stringify({ versions: { '1.0.0': { dist: { tarball: `${base}some.pkg/-/some.pkg-1.0.0.tgz`, integrity } } } }) };
      if (url === '/some.pkg/-/some.pkg-1.0.0.tgz') return { status: 200, body: tarball };
      return { status: 500, body: '' };
    });
    try {
      const dir = mkdtempSync(join(root, 'dl-'));
      const progress: [number, number | undefined][] = [];
      const fetched = await fetchPackageTarball('some.pkg', '1.0.0', dir, { registry: base, onProgress: (r, t) => progress.push([r, t]) });
      expect(seen).toEqual(['/some.pkg/1.0.0', '/some.pkg', '/some.pkg/-/some.pkg-1.0.0.tgz']);
      expect(readFileSync(fetched.file)).toEqual(tarball);
      expect(fetched).toMatchObject({ source: `${base}some.pkg/-/some.pkg-1.0.0.tgz`, bytes: tarball.length });
      expect(progress.at(-1)).toEqual([tarball.length, tarball.length]);
    } finally {
      server.close();
    }
  });

  it('refuses a download whose hash differs from the registry\'s, and a missing package', async () => {
    const { server, base } = await serve((url) => {
      if (url === '/pkg/1.0.0') return { status: 200, type: 'application/json', body: JSON.stringify({ dist: { tarball: `${base}pkg.tgz`, integrity: `sha512-${createHash('sha512').update('other').digest('base64')}` } }) };
      if (url === '/pkg.tgz') return { status: 200, body: 'tampered' };
      return { status: 404, body: '{}' };
    });
    try {
      const dir = mkdtempSync(join(root, 'dl-'));
      await expect(fetchPackageTarball('pkg', '1.0.0', dir, { registry: base })).rejects.toThrow(`${base}pkg.tgz: the download's sha512 is ${createHash('sha512').update('tampered').digest('base64')}, the registry says`);
      await expect(fetchPackageTarball('absent', '1.0.0', dir, { registry: base })).rejects.toThrow(RegistryError);
      await expect(fetchPackageTarball('absent', '1.0.0', dir, { registry: base })).rejects.toThrow(`${base}absent answered HTTP 404.`);
    } finally {
      server.close();
    }
  });
});
