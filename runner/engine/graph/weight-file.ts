// The external-data file of a graph: tensors appended at 4096-byte-aligned offsets (the ONNX
// recommendation, so the runtime can map them), written through one file descriptor and hashed as
// written (the graph cache keeps one copy of each distinct weights file, by this digest).
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { ExternalLocation } from '../onnx/graph-builder.js';

const ALIGN = 4096;

/** Appends tensors to a weights file and reports where each landed. */
export class WeightFileWriter {
  private readonly fd: number;
  private offset = 0;
  private readonly hash = createHash('sha256');

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  /** Appends bytes (possibly in several pieces) and returns their location. */
  append(pieces: Uint8Array | readonly Uint8Array[]): ExternalLocation {
    const list = pieces instanceof Uint8Array ? [pieces] : pieces;
    const pad = (ALIGN - (this.offset % ALIGN)) % ALIGN;
    if (pad) {
      const zeros = new Uint8Array(pad);
      writeSync(this.fd, zeros);
      this.hash.update(zeros);
      this.offset += pad;
    }
    const start = this.offset;
    for (const piece of list) {
      let done = 0;
      // Written and hashed a gigabyte at a time: a real-width embedding in fp32 is over 2 GiB, more
      // than one write or one hash update takes.
      while (done < piece.byteLength) {
        const n = writeSync(this.fd, piece, done, Math.min(piece.byteLength - done, 1 << 30));
        this.hash.update(piece.subarray(done, done + n));
        done += n;
      }
      this.offset += piece.byteLength;
    }
    return { offset: start, length: this.offset - start };
  }

  /** Bytes written so far. */
  get size(): number {
    return this.offset;
  }

  /** The SHA-256 of the bytes written (hex); the writer takes no more bytes after it. */
  digest(): string {
    return this.hash.digest('hex');
  }

  close(): void {
    closeSync(this.fd);
  }
}
