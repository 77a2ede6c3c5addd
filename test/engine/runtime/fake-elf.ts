// Builders of small, well-formed ELF64 shared libraries and fat binaries for the runtime tests:
// a provider library with NEEDED entries, version strings in .rodata and an .nv_fatbin section,
// laid out the way the linker does (ELF header, section contents, section table at the end).
import { FATBIN_MAGIC } from '../../../runner/engine/runtime/fatbin.js';

/** What a fake library holds. */
export interface FakeElfSpec {
  /** e_machine (default 62, x86-64). */
  machine?: number;
  needed?: string[];
  soname?: string;
  runpath?: string;
  /** Strings stored NUL-terminated in .rodata. */
  rodata?: string[];
  /** The .nv_fatbin section's bytes. */
  fatbin?: Buffer;
}

interface Section {
  name: string;
  type: number;
  data: Buffer;
  link?: number;
}

const align = (n: number, to: number): number => Math.ceil(n / to) * to;

function stringTable(strings: string[]): { data: Buffer; offsets: Map<string, number> } {
  const offsets = new Map<string, number>();
  const parts: Buffer[] = [Buffer.from([0])];
  let at = 1;
  for (const s of strings) {
    if (offsets.has(s)) continue;
    offsets.set(s, at);
    const b = Buffer.from(`${s}\0`, 'latin1');
    parts.push(b);
    at += b.length;
  }
  return { data: Buffer.concat(parts), offsets };
}

/**
 * A 64-bit little-endian ELF shared library with .dynstr, .dynamic, .rodata, .nv_fatbin (when given) and .shstrtab.
 * @example fakeElf({ needed: ['libcudart.so.13'], rodata: ['Replay', '1.29.0'] })
 */
export function fakeElf(spec: FakeElfSpec = {}): Buffer {
  const dynStrings = [...(spec.needed ?? []), ...(spec.soname ? [spec.soname] : []), ...(spec.runpath ? [spec.runpath] : [])];
  const dynstr = stringTable(dynStrings);
  const dynamicEntries: [bigint, number][] = [
    ...(spec.needed ?? []).map((n): [bigint, number] => [1n, dynstr.offsets.get(n)!]),
    ...(spec.soname ? [[14n, dynstr.offsets.get(spec.soname)!] as [bigint, number]] : []),
    ...(spec.runpath ? [[29n, dynstr.offsets.get(spec.runpath)!] as [bigint, number]] : []),
    [0n, 0],
  ];
  const dynamic = Buffer.alloc(16 * dynamicEntries.length);
  dynamicEntries.forEach(([tag, value], i) => {
    dynamic.writeBigInt64LE(tag, 16 * i);
    dynamic.writeBigUInt64LE(BigInt(value), 16 * i + 8);
  });
  const rodata = Buffer.from(`text before\0${(spec.rodata ?? []).join('\0')}\0trailing text\0`, 'latin1');
  const sections: Section[] = [
    { name: '', type: 0, data: Buffer.alloc(0) },
    { name: '.dynstr', type: 3, data: dynstr.data },
    { name: '.dynamic', type: 6, data: dynamic, link: 1 },
    { name: '.rodata', type: 1, data: rodata },
    ...(spec.fatbin ? [{ name: '.nv_fatbin', type: 1, data: spec.fatbin }] : []),
  ];
  const shstr = stringTable([...sections.map((s) => s.name).filter(Boolean), '.shstrtab']);
  sections.push({ name: '.shstrtab', type: 3, data: shstr.data });

  const offsets: number[] = [];
  let at = 64;
  for (const s of sections) {
    at = align(at, 8);
    offsets.push(s.data.length ? at : 0);
    at += s.data.length;
  }
  const shoff = align(at, 8);
  const file = Buffer.alloc(shoff + 64 * sections.length);
  file.writeUInt32BE(0x7f454c46, 0);
  file[4] = 2;
  file[5] = 1;
  file[6] = 1;
  file.writeUInt16LE(3, 0x10);
  file.writeUInt16LE(spec.machine ?? 62, 0x12);
  file.writeUInt32LE(1, 0x14);
  file.writeBigUInt64LE(BigInt(shoff), 0x28);
  file.writeUInt16LE(64, 0x34);
  file.writeUInt16LE(64, 0x3a);
  file.writeUInt16LE(sections.length, 0x3c);
  file.writeUInt16LE(sections.length - 1, 0x3e);
  sections.forEach((s, i) => {
    s.data.copy(file, offsets[i]!);
    const h = shoff + 64 * i;
    file.writeUInt32LE(s.name ? shstr.offsets.get(s.name)! : 0, h);
    file.writeUInt32LE(s.type, h + 4);
    file.writeBigUInt64LE(BigInt(offsets[i]!), h + 24);
    file.writeBigUInt64LE(BigInt(s.data.length), h + 32);
    file.writeUInt32LE(s.link ?? 0, h + 40);
    file.writeBigUInt64LE(8n, h + 48);
  });
  return file;
}

/** One fat-binary entry to build. */
export interface FakeFatbinEntry {
  arch: number;
  payload: Buffer;
  /** 2 cubin (default), 1 PTX. */
  kind?: number;
  /** Header size (default 64; the real file has 112-byte headers for sm_120). */
  headerSize?: number;
}

/**
 * Fat-binary containers back to back, each holding its entries, with `padding` zero bytes after
 * each container (alignment, as the linker may leave).
 * @example fakeFatbin([[{ arch: 75, payload }, { arch: 90, payload }]])
 */
export function fakeFatbin(containers: FakeFatbinEntry[][], padding = 0): Buffer {
  const parts: Buffer[] = [];
  for (const entries of containers) {
    const bodies = entries.map((e) => {
      const headerSize = e.headerSize ?? 64;
      const padded = align(e.payload.length, 8);
      const b = Buffer.alloc(headerSize + padded);
      b.writeUInt16LE(e.kind ?? 2, 0);
      b.writeUInt16LE(0x0101, 2);
      b.writeUInt32LE(headerSize, 4);
      b.writeBigUInt64LE(BigInt(padded), 8);
      b.writeUInt32LE(e.payload.length, 16);
      b.writeUInt32LE(e.arch, 28);
      e.payload.copy(b, headerSize);
      return b;
    });
    const body = Buffer.concat(bodies);
    const header = Buffer.alloc(16);
    header.writeUInt32LE(FATBIN_MAGIC, 0);
    header.writeUInt16LE(1, 4);
    header.writeUInt16LE(16, 6);
    header.writeBigUInt64LE(BigInt(body.length), 8);
    parts.push(header, body, Buffer.alloc(padding));
  }
  return Buffer.concat(parts);
}
