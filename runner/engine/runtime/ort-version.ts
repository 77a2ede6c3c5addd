// Which onnxruntime version a provider library was built from. A provider must come from the same
// onnxruntime version as the core library that loads it (the two share C++ classes across the
// library boundary; a mismatch aborts the process or fails in odd places). The provider carries the
// version once, as the string ORT_VERSION ("1.29.0") among its read-only data: a NUL-terminated
// string that is nothing but three dot-separated numbers. `strings lib.so | grep -x '[0-9.]*'` finds
// the same. Other version-shaped text in the library (CUDA's "13.0", messages quoting versions)
// either has fewer parts or sits inside longer strings.
import { readSection } from './elf.js';

/** The version strings found in a library's read-only data. */
export interface VersionScan {
  /** The one version found, when exactly one distinct candidate exists. */
  version?: string;
  /** Every distinct candidate, in file order. */
  candidates: string[];
}

// A whole NUL-delimited string of the form X.Y.Z.
const STANDALONE_VERSION = /\0(\d{1,3}\.\d{1,3}\.\d{1,3})(?=\0)/g;

/**
 * Version-shaped strings (`X.Y.Z`, standing alone between NULs) in a block of read-only data.
 * @example scanVersionStrings(Buffer.from('\0Replay\x001.29.0\0Failed')) // { version: '1.29.0', candidates: ['1.29.0'] }
 */
export function scanVersionStrings(data: Uint8Array): VersionScan {
  const text = `\0${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1')}\0`;
  const candidates = [...new Set([...text.matchAll(STANDALONE_VERSION)].map((m) => m[1]!))];
  return candidates.length === 1 ? { version: candidates[0]!, candidates } : { candidates };
}

/**
 * The onnxruntime version a provider library was built from, read from its `.rodata` section.
 * @throws ElfFormatError when the file is not a 64-bit ELF library.
 * @example providerOrtVersion('libonnxruntime_providers_cuda.so').version // '1.29.0'
 */
export function providerOrtVersion(path: string): VersionScan {
  const rodata = readSection(path, '.rodata');
  return rodata ? scanVersionStrings(rodata) : { candidates: [] };
}
