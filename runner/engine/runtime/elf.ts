// A small reader of 64-bit little-endian ELF shared libraries: the section table, the dynamic
// section's NEEDED / RUNPATH / RPATH entries and a section's bytes. The CUDA provider is a 230 MB
// library, so it reads only the headers and the sections asked for (positional reads), never the
// whole file. Enough to tell which libraries the loader must find for a provider, which onnxruntime
// version it was built from, and where its `.nv_fatbin` section lies.
import { closeSync, openSync, readSync } from 'node:fs';

/** One section of an ELF file. */
export interface ElfSection {
  name: string;
  /** sh_type: 1 PROGBITS, 3 STRTAB, 6 DYNAMIC, 8 NOBITS, ... */
  type: number;
  /** Byte offset of the section's contents in the file. */
  offset: number;
  /** Size of the contents in bytes (NOBITS sections occupy none of the file). */
  size: number;
  /** sh_link: for DYNAMIC, the index of its string table. */
  link: number;
}

/** What the dynamic loader reads from a shared library's dynamic section. */
export interface ElfDynamic {
  /** DT_NEEDED: the libraries the loader must find, in order. */
  needed: string[];
  soname?: string;
  /** DT_RUNPATH and DT_RPATH, split at ':' ($ORIGIN left as written). */
  runpath: string[];
  rpath: string[];
}

/** A parsed ELF header and section table. */
export interface ElfFile {
  path: string;
  /** e_machine: 62 is x86-64, 183 AArch64. */
  machine: number;
  sections: ElfSection[];
}

/** e_machine values the messages name. */
export const ELF_MACHINES: Record<number, string> = { 3: 'x86', 40: 'ARM', 62: 'x86-64', 183: 'AArch64', 243: 'RISC-V' };

const SHT_NOBITS = 8;
const SHT_DYNAMIC = 6;
const DT_NEEDED = 1n;
const DT_SONAME = 14n;
const DT_RPATH = 15n;
const DT_RUNPATH = 29n;

/** The file is not a 64-bit little-endian ELF, or its tables point outside it. */
export class ElfFormatError extends Error {
  constructor(readonly path: string, detail: string) {
    super(`${path} is not a readable 64-bit ELF shared library: ${detail}.`);
    this.name = 'ElfFormatError';
  }
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? buffer : buffer.subarray(0, done);
}

function cString(table: Buffer, offset: number): string {
  const end = table.indexOf(0, offset);
  return table.toString('latin1', offset, end < 0 ? table.length : end);
}

function withFile<T>(path: string, body: (fd: number) => T): T {
  const fd = openSync(path, 'r');
  try {
    return body(fd);
  } finally {
    closeSync(fd);
  }
}

function parseHeaders(path: string, fd: number): ElfFile {
  const header = readAt(fd, 0, 64);
  if (header.length < 64 || header.readUInt32BE(0) !== 0x7f454c46) throw new ElfFormatError(path, 'no ELF magic at the start');
  if (header[4] !== 2) throw new ElfFormatError(path, `ELF class ${header[4]} (only 64-bit, class 2, is read)`);
  if (header[5] !== 1) throw new ElfFormatError(path, 'big-endian (only little-endian is read)');
  const machine = header.readUInt16LE(0x12);
  const shoff = Number(header.readBigUInt64LE(0x28));
  const shentsize = header.readUInt16LE(0x3a);
  const shnum = header.readUInt16LE(0x3c);
  const shstrndx = header.readUInt16LE(0x3e);
  if (shnum === 0) return { path, machine, sections: [] };
  if (shentsize < 64) throw new ElfFormatError(path, `section header size ${shentsize} < 64`);
  const table = readAt(fd, shoff, shentsize * shnum);
  if (table.length < shentsize * shnum) throw new ElfFormatError(path, `section table at ${shoff} runs past the end of the file`);
  const raw = Array.from({ length: shnum }, (_, i) => {
    const at = i * shentsize;
    return {
      nameOffset: table.readUInt32LE(at),
      type: table.readUInt32LE(at + 4),
      offset: Number(table.readBigUInt64LE(at + 24)),
      size: Number(table.readBigUInt64LE(at + 32)),
      link: table.readUInt32LE(at + 40),
    };
  });
  const names = raw[shstrndx];
  if (!names) throw new ElfFormatError(path, `section-name table index ${shstrndx} out of range`);
  const strtab = readAt(fd, names.offset, names.size);
  return {
    path,
    machine,
    sections: raw.map((s) => ({ name: cString(strtab, s.nameOffset), type: s.type, offset: s.offset, size: s.type === SHT_NOBITS ? 0 : s.size, link: s.link })),
  };
}

/**
 * Reads an ELF file's header and section table.
 * @throws ElfFormatError when the file is not a 64-bit little-endian ELF.
 * @example readElf('libonnxruntime_providers_cuda.so').sections.find((s) => s.name === '.nv_fatbin')
 */
export function readElf(path: string): ElfFile {
  return withFile(path, (fd) => parseHeaders(path, fd));
}

/**
 * The contents of the named section (undefined when the file has none).
 * @throws ElfFormatError when the file is not a 64-bit little-endian ELF.
 * @example readSection('lib.so', '.rodata')
 */
export function readSection(path: string, name: string): Buffer | undefined {
  return withFile(path, (fd) => {
    const section = parseHeaders(path, fd).sections.find((s) => s.name === name);
    return section ? readAt(fd, section.offset, section.size) : undefined;
  });
}

/**
 * The dynamic section's NEEDED libraries, SONAME and search paths, as `readelf -d` lists them.
 * @throws ElfFormatError when the file is not a 64-bit little-endian ELF.
 * @example readDynamic('libonnxruntime_providers_cuda.so').needed // ['libcublasLt.so.13', ...]
 */
export function readDynamic(path: string): ElfDynamic {
  return withFile(path, (fd) => {
    const elf = parseHeaders(path, fd);
    const dynamic = elf.sections.find((s) => s.type === SHT_DYNAMIC);
    const result: ElfDynamic = { needed: [], runpath: [], rpath: [] };
    if (!dynamic) return result;
    const strings = elf.sections[dynamic.link];
    if (!strings) throw new ElfFormatError(path, `the dynamic section's string table (section ${dynamic.link}) is missing`);
    const strtab = readAt(fd, strings.offset, strings.size);
    const entries = readAt(fd, dynamic.offset, dynamic.size);
    for (let at = 0; at + 16 <= entries.length; at += 16) {
      const tag = entries.readBigInt64LE(at);
      if (tag === 0n) break;
      const value = Number(entries.readBigUInt64LE(at + 8));
      if (tag === DT_NEEDED) result.needed.push(cString(strtab, value));
      else if (tag === DT_SONAME) result.soname = cString(strtab, value);
      else if (tag === DT_RUNPATH) result.runpath.push(...cString(strtab, value).split(':').filter(Boolean));
      else if (tag === DT_RPATH) result.rpath.push(...cString(strtab, value).split(':').filter(Boolean));
    }
    return result;
  });
}
