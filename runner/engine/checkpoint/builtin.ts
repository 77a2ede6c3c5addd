// Builtin models as engine checkpoints: `builtin:<name>` names a checkpoint shipped inside this
// package (models/<name>/, listed in package.json "files"), so it resolves the same from the
// repository and from an installed package. Everywhere a checkpoint folder is accepted (the engine
// backend's `path` option, `longweave run --model`, `longweave engine info|generate`) a builtin name
// is resolved here first; any other path resolves against the given base folder.
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { builtinModelDir, isBuiltinName } from '../../../generators/tokenizers/index.js';

export { isBuiltinName };

/**
 * The folder of a model path: a builtin model's folder in the package for `builtin:<name>`, else
 * `path` resolved against `baseDir`.
 * @throws Error naming the builtin models for an unknown `builtin:` name, or when the builtin
 *   model's folder has no weights (an install without models/).
 * @example resolveModelPath('builtin:tiny') // '/.../longweave/models/tiny'
 * @example resolveModelPath('ckpt/qwen', '/recipes') // '/recipes/ckpt/qwen'
 */
export function resolveModelPath(path: string, baseDir: string = process.cwd()): string {
  if (isBuiltinName(path)) {
    const dir = builtinModelDir(path);
    if (!existsSync(join(dir, 'config.json')) || !existsSync(join(dir, 'model.safetensors'))) {
      throw new Error(`Builtin model "${path}": ${dir} has no config.json and model.safetensors (only its tokenizer is installed).`);
    }
    return dir;
  }
  return isAbsolute(path) ? path : resolve(baseDir, path);
}
