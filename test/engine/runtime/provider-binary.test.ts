// Reading a provider library: its NEEDED entries, the onnxruntime version in its read-only data,
// and its fat binary, whose payloads of unwanted architectures are zeroed in place.
import { afterAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElfFormatError, readDynamic, readElf, readSection } from '../../../runner/engine/runtime/elf.js';
import { cubinRunsOn, FatbinFormatError, listFatbinEntries, parseArchList, parseFatbin, presentArchs, stripFatbin, summarizeArchs } from '../../../runner/engine/runtime/fatbin.js';
import { providerOrtVersion, scanVersionStrings } from '../../../runner/engine/runtime/ort-version.js';
import { fakeElf, fakeFatbin } from './fake-elf.js';

const root = mkdtempSync(join(tmpdir(), 'lw-provider-binary-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const write = (name: string, data: Buffer): string => {
  const path = join(root, name);
  writeFileSync(path, data);
  return path;
};

describe('ELF reader', () => {
  it('lists NEEDED, SONAME and RUNPATH as readelf -d does, and the sections', () => {
    const path = write('deps.so', fakeElf({ needed: ['libcublasLt.so.13', 'libcudart.so.13', 'libc.so.6'], soname: 'libx.so', runpath: '$ORIGIN:/opt/lib' }));
    expect(readDynamic(path)).toEqual({ needed: ['libcublasLt.so.13', 'libcudart.so.13', 'libc.so.6'], soname: 'libx.so', runpath: ['$ORIGIN', '/opt/lib'], rpath: [] });
    const elf = readElf(path);
    expect(elf.machine).toBe(62);
    expect(elf.sections.map((s) => s.name)).toEqual(['', '.dynstr', '.dynamic', '.rodata', '.shstrtab']);
    expect(readSection(path, '.rodata')!.toString('latin1')).toBe('text before\0\0trailing text\0');
    expect(readSection(path, '.nv_fatbin')).toBeUndefined();
  });

  it('refuses what is not a 64-bit little-endian ELF, naming the file', () => {
    const text = write('not-elf.so', Buffer.from('1.29.0 but no ELF header at all, padded to be long enough for a header......'));
    expect(() => readElf(text)).toThrow(ElfFormatError);
    expect(() => readElf(text)).toThrow(`${text} is not a readable 64-bit ELF shared library: no ELF magic at the start.`);
    const elf32 = fakeElf();
    elf32[4] = 1;
    expect(() => readElf(write('elf32.so', elf32))).toThrow('ELF class 1 (only 64-bit, class 2, is read)');
  });
});

describe('onnxruntime version of a provider', () => {
  it('is the one NUL-delimited X.Y.Z string of .rodata; longer or partial strings do not count', () => {
    const path = write('provider.so', fakeElf({ rodata: ['Replay', '1.29.0', 'Failed to get device id.', 'CUDA 13.0 runtime', 'version 1.2.3 of x', '12.8', 'v2.0.1'] }));
    expect(providerOrtVersion(path)).toEqual({ version: '1.29.0', candidates: ['1.29.0'] });
  });

  it('reports none and several candidates without picking one', () => {
    expect(providerOrtVersion(write('none.so', fakeElf({ rodata: ['no version here'] })))).toEqual({ candidates: [] });
    expect(scanVersionStrings(Buffer.from('1.30.0\0junk\x001.3.2\0'))).toEqual({ candidates: ['1.30.0', '1.3.2'] });
    // The same version twice is still one version.
    expect(scanVersionStrings(Buffer.from('\x001.29.0\0a\x001.29.0\0'))).toEqual({ version: '1.29.0', candidates: ['1.29.0'] });
  });
});

describe('fat binary', () => {
  const payloads = new Map<string, Buffer>();
  const payload = (key: string, bytes: number): Buffer => {
    const b = randomBytes(bytes);
    b[0] = 0x7f; // never all zeros
    payloads.set(key, b);
    return b;
  };
  const blob = fakeFatbin(
    [
      [{ arch: 75, payload: payload('a75', 1000) }, { arch: 90, payload: payload('a90', 2003) }, { arch: 120, payload: payload('a120', 1500), headerSize: 112 }],
      [{ arch: 80, payload: payload('b80', 700) }, { arch: 90, payload: payload('b90', 640) }, { arch: 90, kind: 1, payload: payload('b90ptx', 96) }],
    ],
    8,
  );

  it('lists each entry with its architecture, kind, payload offset and padded size', () => {
    const entries = parseFatbin(blob);
    expect(entries.map((e) => [e.arch, e.kind, e.payloadSize])).toEqual([[75, 'cubin', 1000], [90, 'cubin', 2008], [120, 'cubin', 1504], [80, 'cubin', 704], [90, 'cubin', 640], [90, 'ptx', 96]]);
    expect(blob.subarray(entries[1]!.payloadOffset, entries[1]!.payloadOffset + 2003)).toEqual(payloads.get('a90'));
    expect(blob.subarray(entries[2]!.payloadOffset, entries[2]!.payloadOffset + 1500)).toEqual(payloads.get('a120'));
    expect(summarizeArchs(entries)).toEqual([{ arch: 75, entries: 1, bytes: 1000 }, { arch: 80, entries: 1, bytes: 704 }, { arch: 90, entries: 3, bytes: 2744 }, { arch: 120, entries: 1, bytes: 1504 }]);
  });

  it('zeroes the payloads of the architectures not kept, in place, and leaves every other byte as it was', () => {
    const path = write('fat.so', fakeElf({ needed: ['libcudart.so.13'], rodata: ['1.29.0'], fatbin: blob }));
    const before = readFileSync(path);
    const section = readElf(path).sections.find((s) => s.name === '.nv_fatbin')!;
    const entries = listFatbinEntries(path);
    expect(entries.map((e) => e.payloadOffset)).toEqual(parseFatbin(blob).map((e) => e.payloadOffset + section.offset));
    expect(presentArchs(path)).toEqual([75, 80, 90, 120]);

    const result = stripFatbin(path, [90]);
    expect(result).toEqual({ kept: [{ arch: 90, entries: 3, bytes: 2744 }], zeroed: [{ arch: 75, entries: 1, bytes: 1000 }, { arch: 80, entries: 1, bytes: 704 }, { arch: 120, entries: 1, bytes: 1504 }], zeroedBytes: 3208 });
    const after = readFileSync(path);
    expect(after.length).toBe(before.length);
    const zeroed = entries.filter((e) => e.arch !== 90);
    const inZeroed = (i: number): boolean => zeroed.some((e) => i >= e.payloadOffset && i < e.payloadOffset + e.payloadSize);
    let changedOutside = 0;
    let nonZeroInside = 0;
    for (let i = 0; i < after.length; i++) {
      if (inZeroed(i)) nonZeroInside += after[i] !== 0 ? 1 : 0;
      else changedOutside += after[i] !== before[i] ? 1 : 0;
    }
    expect(nonZeroInside).toBe(0);
    expect(changedOutside).toBe(0);
    expect(presentArchs(path)).toEqual([90]);
    // Headers stay: the entries are still listed with their architectures.
    expect(listFatbinEntries(path).map((e) => e.arch)).toEqual([75, 90, 120, 80, 90, 90]);
    expect(readDynamic(path).needed).toEqual(['libcudart.so.13']);
  });

  it('refuses to keep an architecture the library lacks, and malformed containers', () => {
    const path = write('fat2.so', fakeElf({ fatbin: blob }));
    const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
    expect(() => stripFatbin(path, [86])).toThrow('has no GPU code for sm_86 (it has sm_75, sm_80, sm_90, sm_120); keeping it would leave no architecture.');
    expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(hash);
    expect(() => stripFatbin(write('plain.so', fakeElf()), [90])).toThrow('has no .nv_fatbin section');

    const badMagic = Buffer.from(blob);
    badMagic.writeUInt32LE(0xdeadbeef, 0);
    expect(() => parseFatbin(badMagic, 'x.so')).toThrow(FatbinFormatError);
    expect(() => parseFatbin(badMagic, 'x.so')).toThrow('x.so: .nv_fatbin is not a well-formed fat binary: expected magic 0xba55ed50 at offset 0, found 0xdeadbeef.');
    const overrun = Buffer.from(blob);
    overrun.writeBigUInt64LE(10n ** 6n, 16 + 8); // the first entry's payload size
    expect(() => parseFatbin(overrun, 'x.so')).toThrow('entry at offset 16 (header 64 bytes, payload 1000000) runs past its container\'s end');
  });

  it('reads architecture lists and knows which cubins a GPU runs', () => {
    expect(parseArchList('sm_90, 8.6,120,sm_90a')).toEqual([90, 86, 120]);
    expect(() => parseArchList('hopper')).toThrow('Invalid architecture "hopper": give sm_90, 90 or a compute capability such as 9.0.');
    expect(() => parseArchList(' , ')).toThrow('No architecture in " , "');
    expect([cubinRunsOn(90, 90), cubinRunsOn(86, 89), cubinRunsOn(80, 86), cubinRunsOn(89, 86), cubinRunsOn(80, 90), cubinRunsOn(90, 120)]).toEqual([true, true, true, false, false, false]);
  });
});
