// Writing an exporter's files into a folder. Exporters themselves are pure: they return contents.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Writes `{ relativePath: content }` under `dir`, creating folders; returns the paths written.
 * @example writeExport('out/promptfoo', promptfooExport(samples))
 */
export function writeExport(dir: string, files: Record<string, string>): string[] {
  return Object.entries(files).map(([name, content]) => {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    return path;
  });
}
