// safetensors files: an 8-byte little-endian header length, a JSON header naming each tensor's
// dtype, shape and byte range, then the data. Tensors are read one at a time by file position, so
// multi-gigabyte shards never sit in memory whole.
import { closeSync, openSync, readSync, writeSync, fstatSync } from 'node:fs';
import type { ElementType } from '../dtype.js';
import { BYTES } from '../dtype.js';

/** One tensor's entry in a safetensors header. */
export interface TensorEntry {
  dtype: ElementType;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
  file: string;
}

const SUPPORTED = new Set(['F32', 'F16', 'BF16']);

/**
 * Reads the header of a safetensors file.
 * @throws Error naming the file and tensor when the header is malformed or a dtype is unsupported.
 * @example readSafetensorsHeader('/m/model.safetensors').get('model.norm.weight')
 */
export function readSafetensorsHeader(file: string): Map<string, TensorEntry> {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const lenBuf = Buffer.alloc(8);
    if (readSync(fd, lenBuf, 0, 8, 0) !== 8) throw new Error(`${file}: not a safetensors file (shorter than 8 bytes).`);
    const headerLength = Number(lenBuf.readBigUInt64LE(0));
    if (headerLength <= 0 || 8 + headerLength > size) throw new Error(`${file}: header length ${headerLength} does not fit a file of ${size} bytes.`);
    const headerBuf = Buffer.alloc(headerLength);
    readSync(fd, headerBuf, 0, headerLength, 8);
    const header = JSON.parse(headerBuf.toString('utf8')) as Record<string, unknown>;
    const base = 8 + headerLength;
    const tensors = new Map<string, TensorEntry>();
    for (const [name, raw] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const entry = raw as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
      if (!entry.dtype || !SUPPORTED.has(entry.dtype)) {
        throw new Error(`${file}: tensor "${name}" has dtype ${String(entry.dtype)}; the engine reads F32, F16 and BF16.`);
      }
      const [b, e] = entry.data_offsets ?? [NaN, NaN];
      const shape = entry.shape ?? [];
      const count = shape.reduce((a, x) => a * x, 1);
      if (!(e - b === count * BYTES[entry.dtype as ElementType]) || base + e > size) {
        throw new Error(`${file}: tensor "${name}" has data_offsets [${b}, ${e}] that do not match shape [${shape}] or the file size.`);
      }
      tensors.set(name, { dtype: entry.dtype as ElementType, shape, begin: base + b, end: base + e, file });
    }
    return tensors;
  } finally {
    closeSync(fd);
  }
}

/** Reads one tensor's raw bytes. */
export function readTensorBytes(entry: TensorEntry): Uint8Array {
  const fd = openSync(entry.file, 'r');
  try {
    const out = Buffer.allocUnsafe(entry.end - entry.begin);
    let done = 0;
    while (done < out.length) {
      const n = readSync(fd, out, done, Math.min(out.length - done, 1 << 30), entry.begin + done);
      if (n <= 0) throw new Error(`${entry.file}: unexpected end of file while reading a tensor.`);
      done += n;
    }
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } finally {
    closeSync(fd);
  }
}

/** A tensor to write. */
export interface TensorToWrite {
  name: string;
  dtype: ElementType;
  shape: number[];
  data: Uint8Array;
}

/**
 * Writes tensors to a safetensors file (in the given order, 8-byte aligned header as the format's
 * reference writer pads it).
 * @example writeSafetensors('/tmp/m/model.safetensors', [{ name: 'w', dtype: 'F32', shape: [2], data }])
 */
export function writeSafetensors(file: string, tensors: readonly TensorToWrite[], metadata: Record<string, string> = { format: 'pt' }): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const expected = t.shape.reduce((a, x) => a * x, 1) * BYTES[t.dtype];
    if (t.data.byteLength !== expected) throw new Error(`Tensor "${t.name}": ${t.data.byteLength} bytes for shape [${t.shape}] of ${t.dtype} (expected ${expected}).`);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const fd = openSync(file, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    writeSync(fd, len);
    writeSync(fd, Buffer.from(json, 'utf8'));
    for (const t of tensors) writeSync(fd, t.data);
  } finally {
    closeSync(fd);
  }
}
