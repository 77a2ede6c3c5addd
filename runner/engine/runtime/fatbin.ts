// The GPU code inside a CUDA library: its `.nv_fatbin` section is a run of fat-binary containers,
// each a 16-byte header (magic 0xBA55ED50, version, header size, size of what follows) and then
// entries, each a header of at least 64 bytes and a payload:
//
//   offset  0  u16 kind (1 PTX, 2 ELF cubin)      offset 16  u32 payload bytes before padding
//          2  u16 entry version                          28  u32 architecture (90 for sm_90)
//          4  u32 header bytes                           40  u64 flags (compression, ...)
//          8  u64 payload bytes (padded)                 56  u64 uncompressed payload bytes
//
// The driver picks, for the GPU it runs on, the cubin of the same major architecture and the
// highest minor not above the GPU's, and reads no other entry. So the payloads of architectures a
// host does not have can be zeroed: the file keeps its size and layout (no offset or symbol moves),
// and xz then compresses the zeros away. The provider's 166 MB of cubins cover sm_75, 80, 86, 89,
// 90 and 120; an H100 or H200 uses sm_90 alone.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { readElf } from './elf.js';

/** One entry of a fat binary. */
export interface FatbinEntry {
  kind: 'ptx' | 'cubin' | 'unknown';
  /** Architecture number: 90 for sm_90 (compute capability 9.0), 120 for sm_120. */
  arch: number;
  /** File offset of the entry's header. */
  headerOffset: number;
  /** File offset and size of the payload (padded size: what zeroing covers). */
  payloadOffset: number;
  payloadSize: number;
}

/** Bytes and entries per architecture. */
export interface ArchSummary {
  arch: number;
  entries: number;
  bytes: number;
}

export const FATBIN_MAGIC = 0xba55ed50;
const CONTAINER_HEADER = 16;
const ENTRY_HEADER_MIN = 64;

/** The section is not a well-formed run of fat-binary containers. */
export class FatbinFormatError extends Error {
  constructor(readonly path: string, detail: string) {
    super(`${path}: .nv_fatbin is not a well-formed fat binary: ${detail}.`);
    this.name = 'FatbinFormatError';
  }
}

type ReadAt = (offset: number, length: number) => Buffer;

function fileReader(fd: number): ReadAt {
  return (offset, length) => {
    const buffer = Buffer.alloc(length);
    const n = readSync(fd, buffer, 0, length, offset);
    return buffer.subarray(0, n);
  };
}

/**
 * Walks the containers of a fat-binary region [start, start + size) and lists their entries.
 * Zero bytes between containers (alignment padding) are skipped.
 */
function walk(path: string, read: ReadAt, start: number, size: number): FatbinEntry[] {
  const end = start + size;
  const entries: FatbinEntry[] = [];
  let at = start;
  while (at < end) {
    const header = read(at, Math.min(CONTAINER_HEADER, end - at));
    if (header.length < CONTAINER_HEADER) {
      if (header.every((b) => b === 0)) break;
      throw new FatbinFormatError(path, `${end - at} stray bytes at offset ${at}`);
    }
    const magic = header.readUInt32LE(0);
    if (magic !== FATBIN_MAGIC) {
      if (header.readBigUInt64LE(0) === 0n) {
        at += 8;
        continue;
      }
      throw new FatbinFormatError(path, `expected magic 0x${FATBIN_MAGIC.toString(16)} at offset ${at}, found 0x${magic.toString(16)}`);
    }
    const headerSize = header.readUInt16LE(6);
    const body = Number(header.readBigUInt64LE(8));
    const containerEnd = at + headerSize + body;
    if (headerSize < CONTAINER_HEADER || containerEnd > end) throw new FatbinFormatError(path, `container at offset ${at} (header ${headerSize} bytes, body ${body}) runs past the section's end ${end}`);
    let entry = at + headerSize;
    while (entry < containerEnd) {
      const h = read(entry, ENTRY_HEADER_MIN);
      if (h.length < ENTRY_HEADER_MIN) throw new FatbinFormatError(path, `entry header at offset ${entry} is cut short`);
      const kindCode = h.readUInt16LE(0);
      const entryHeader = h.readUInt32LE(4);
      const payloadSize = Number(h.readBigUInt64LE(8));
      if (entryHeader < ENTRY_HEADER_MIN || entry + entryHeader + payloadSize > containerEnd) {
        throw new FatbinFormatError(path, `entry at offset ${entry} (header ${entryHeader} bytes, payload ${payloadSize}) runs past its container's end ${containerEnd}`);
      }
      entries.push({
        kind: kindCode === 1 ? 'ptx' : kindCode === 2 ? 'cubin' : 'unknown',
        arch: h.readUInt32LE(28),
        headerOffset: entry,
        payloadOffset: entry + entryHeader,
        payloadSize,
      });
      entry += entryHeader + payloadSize;
    }
    at = containerEnd;
  }
  return entries;
}

/**
 * The fat-binary entries of a buffer that holds containers back to back (offsets relative to it).
 * @throws FatbinFormatError on a bad magic or sizes that run past the end.
 * @example parseFatbin(section).map((e) => e.arch)
 */
export function parseFatbin(data: Buffer, label = 'buffer'): FatbinEntry[] {
  return walk(label, (offset, length) => data.subarray(offset, offset + length), 0, data.length);
}

/**
 * The `.nv_fatbin` entries of a CUDA library (file offsets), or an empty list when it has none.
 * @throws ElfFormatError when the file is not an ELF library; FatbinFormatError when the section is malformed.
 * @example listFatbinEntries('libonnxruntime_providers_cuda.so').filter((e) => e.arch === 90)
 */
export function listFatbinEntries(path: string): FatbinEntry[] {
  const section = readElf(path).sections.find((s) => s.name === '.nv_fatbin');
  if (!section) return [];
  const fd = openSync(path, 'r');
  try {
    return walk(path, fileReader(fd), section.offset, section.size);
  } finally {
    closeSync(fd);
  }
}

/**
 * Payload bytes and entry counts per architecture, ascending.
 * @example summarizeArchs(entries) // [{ arch: 75, entries: 289, bytes: 9.3e6 }, ...]
 */
export function summarizeArchs(entries: readonly FatbinEntry[]): ArchSummary[] {
  const by = new Map<number, ArchSummary>();
  for (const e of entries) {
    const s = by.get(e.arch) ?? { arch: e.arch, entries: 0, bytes: 0 };
    s.entries++;
    s.bytes += e.payloadSize;
    by.set(e.arch, s);
  }
  return [...by.values()].sort((a, b) => a.arch - b.arch);
}

/**
 * Parses a list of architectures: `sm_90`, `90`, or a compute capability `9.0`, comma-separated.
 * @throws Error naming the item that is none of these.
 * @example parseArchList('sm_90,8.6') // [90, 86]
 */
export function parseArchList(spec: string): number[] {
  const archs = spec.split(',').map((s) => s.trim()).filter(Boolean).map((item) => {
    const sm = /^(?:sm_)?(\d{2,3})a?$/.exec(item);
    if (sm) return Number(sm[1]);
    const cc = /^(\d{1,2})\.(\d)$/.exec(item);
    if (cc) return Number(cc[1]) * 10 + Number(cc[2]);
    throw new Error(`Invalid architecture "${item}": give sm_90, 90 or a compute capability such as 9.0.`);
  });
  if (archs.length === 0) throw new Error(`No architecture in "${spec}": give for example sm_90.`);
  return [...new Set(archs)];
}

/** `sm_90` for 90. */
export const archName = (arch: number): string => `sm_${arch}`;

/**
 * Whether a GPU of compute capability `capability` (90 for 9.0) runs cubins built for `arch`:
 * the same major version and a minor no higher than the GPU's.
 * @example cubinRunsOn(86, 89) // true; cubinRunsOn(80, 90) // false
 */
export function cubinRunsOn(arch: number, capability: number): boolean {
  return Math.floor(arch / 10) === Math.floor(capability / 10) && arch % 10 <= capability % 10;
}

/** What `stripFatbin` did. */
export interface StripResult {
  kept: ArchSummary[];
  zeroed: ArchSummary[];
  zeroedBytes: number;
}

/**
 * Zeroes, in place, the payloads of every fat-binary entry whose architecture is not in `keep`
 * (headers stay, so the file's size and layout are unchanged). Copy the library first.
 * @throws Error when none of the library's entries is of a kept architecture (the result could run nowhere);
 *   ElfFormatError / FatbinFormatError on a malformed file.
 * @example stripFatbin('/tmp/stage/libonnxruntime_providers_cuda.so', [90])
 */
export function stripFatbin(path: string, keep: readonly number[]): StripResult {
  const entries = listFatbinEntries(path);
  if (entries.length === 0) throw new Error(`${path} has no .nv_fatbin section: nothing to reduce.`);
  const keepSet = new Set(keep);
  const kept = entries.filter((e) => keepSet.has(e.arch));
  if (kept.length === 0) {
    const present = summarizeArchs(entries).map((s) => archName(s.arch)).join(', ');
    throw new Error(`${path} has no GPU code for ${keep.map(archName).join(', ')} (it has ${present}); keeping it would leave no architecture.`);
  }
  const dropped = entries.filter((e) => !keepSet.has(e.arch));
  const zeros = Buffer.alloc(1 << 20);
  const fd = openSync(path, 'r+');
  try {
    for (const e of dropped) {
      for (let done = 0; done < e.payloadSize; ) {
        const n = Math.min(zeros.length, e.payloadSize - done);
        writeSync(fd, zeros, 0, n, e.payloadOffset + done);
        done += n;
      }
    }
  } finally {
    closeSync(fd);
  }
  return { kept: summarizeArchs(kept), zeroed: summarizeArchs(dropped), zeroedBytes: dropped.reduce((sum, e) => sum + e.payloadSize, 0) };
}

/**
 * The architectures whose GPU code is present (some payload not all zeros): after `stripFatbin`,
 * the kept ones. Reads the payloads, stopping at the first non-zero byte of each.
 * @example presentArchs('libonnxruntime_providers_cuda.so') // [75, 80, 86, 89, 90, 120]
 */
export function presentArchs(path: string): number[] {
  const entries = listFatbinEntries(path);
  const present = new Set<number>();
  const fd = openSync(path, 'r');
  try {
    const read = fileReader(fd);
    const zeros = Buffer.alloc(1 << 20);
    for (const e of entries) {
      if (present.has(e.arch)) continue;
      for (let done = 0; done < e.payloadSize; done += 1 << 20) {
        const chunk = read(e.payloadOffset + done, Math.min(1 << 20, e.payloadSize - done));
        if (!chunk.equals(zeros.subarray(0, chunk.length))) {
          present.add(e.arch);
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return [...present].sort((a, b) => a - b);
}
