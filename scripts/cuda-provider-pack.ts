// Stages the CUDA provider package for an air-gapped host, optionally reduced to the GPU
// architectures that host has (runner/engine/runtime/fatbin.ts: the other architectures' cubins are
// zeroed in place, so the library keeps its size and layout and xz compresses the zeros away).
// bundle.sh --cuda runs it, then tars and compresses OUT/package.
//
//   npx tsx scripts/cuda-provider-pack.ts --out DIR [--from PROVIDER.tgz|FOLDER] [--arch sm_90[,sm_80]|all]
//
// Writes DIR/package/{package.json, LICENSE, Plugins/Linux/x64/libonnxruntime_providers_{cuda,shared}.so,
// longweave-reduced.json} and prints a JSON summary (architectures kept and zeroed, sha256 before
// and after) on stdout.
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkProviderVersion, obtainProviderPackage } from '../runner/engine/runtime/cuda-install.js';
import { archName, listFatbinEntries, parseArchList, stripFatbin, summarizeArchs } from '../runner/engine/runtime/fatbin.js';
import { CUDA_PROVIDER_LIBRARY, CUDA_PROVIDER_PACKAGE, locateOnnxruntime, PROVIDER_LIBRARIES } from '../runner/engine/runtime/onnxruntime-location.js';

const { values } = parseArgs({ options: { out: { type: 'string' }, from: { type: 'string' }, arch: { type: 'string', default: 'sm_90' } } });
if (!values.out) {
  process.stderr.write('usage: npx tsx scripts/cuda-provider-pack.ts --out DIR [--from PROVIDER.tgz|FOLDER] [--arch sm_90|all]\n');
  process.exit(2);
}
const keep = values.arch === 'all' ? undefined : parseArchList(values.arch);

const sha256 = async (path: string): Promise<string> => {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
};

const work = mkdtempSync(join(tmpdir(), 'longweave-cuda-pack-'));
try {
  const pkg = await obtainProviderPackage({ ...(values.from ? { from: values.from } : {}), log: (l) => void process.stderr.write(`${l}\n`) }, work);
  const version = checkProviderVersion(join(pkg.libraryDir, CUDA_PROVIDER_LIBRARY), locateOnnxruntime('linux', 'x64').version);
  const out = join(values.out, 'package');
  rmSync(out, { recursive: true, force: true });
  const libs = join(out, CUDA_PROVIDER_PACKAGE.libraryDir);
  mkdirSync(libs, { recursive: true });
  for (const file of PROVIDER_LIBRARIES) copyFileSync(join(pkg.libraryDir, file), join(libs, file));
  // The package's manifest and licence travel with it (the record names the package; MIT asks for the notice).
  for (let dir = pkg.libraryDir, i = 0; i < 4; dir = dirname(dir), i++) {
    for (const file of ['package.json', 'LICENSE']) if (existsSync(join(dir, file)) && !existsSync(join(out, file))) copyFileSync(join(dir, file), join(out, file));
  }
  const library = join(libs, CUDA_PROVIDER_LIBRARY);
  const original = await sha256(library);
  const before = summarizeArchs(listFatbinEntries(library));
  const result = keep ? stripFatbin(library, keep) : { kept: before, zeroed: [], zeroedBytes: 0 };
  const summary = {
    package: `${pkg.name}@${pkg.version}`,
    onnxruntimeVersion: version,
    source: pkg.source,
    kept: result.kept.map((a) => ({ arch: archName(a.arch), bytes: a.bytes })),
    zeroed: result.zeroed.map((a) => ({ arch: archName(a.arch), bytes: a.bytes })),
    zeroedBytes: result.zeroedBytes,
    original: { file: CUDA_PROVIDER_LIBRARY, sha256: original },
    reduced: { file: CUDA_PROVIDER_LIBRARY, sha256: keep ? await sha256(library) : original },
  };
  writeFileSync(join(out, 'longweave-reduced.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.stderr.write(`cuda-provider-pack: ${out}: kept ${summary.kept.map((k) => k.arch).join(', ')}; zeroed ${(result.zeroedBytes / 1e6).toFixed(1)} MB of ${summary.zeroed.map((z) => z.arch).join(', ') || 'nothing'}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
