// Public API of `longweave/generators`: generation, tasks, tokenizers and the building blocks
// a custom task needs. Re-exports only.
export { generate, generateSample, type GenerateOptions, type GenerateSampleOptions } from './generate.js';
export { TASKS, TASK_IDS, getTask, type TaskId } from './tasks/index.js';
export { resolveParams, defaultParams, ParamError } from './params.js';
export { loadSuite, suiteNames, datasetsDir, type SuiteRecipe, type SuiteTaskEntry } from './suite.js';
export {
  loadTokenizer,
  withTemplateKwargs,
  loadHfTokenizer,
  loadTiktoken,
  renderChat,
  splitTemplate,
  tokenizerNames,
  DEFAULT_TOKENIZER,
  TOKENIZER_PRESETS,
  type Tokenizer,
  type ChatTemplateSpec,
} from './tokenizers/index.js';
export { parseLength, parseLengths, formatLength, MAX_LENGTH } from './core/length.js';
export { Random } from './core/random.js';
export { deriveSampleSeed, canonicalJson, sampleId, type SampleKey } from './core/seed.js';
export { promptFormat, formatIdentity, type PromptFormat } from './core/prompt-format.js';
export { assembleExact, fillExact, promptFrame, type ExactPrompt, type ExactPromptSpec, type FillerSource, type FixedUnit } from './core/assemble.js';
export { proseFiller, noiseFiller, distractorFiller, NOISE_SENTENCES } from './core/haystack.js';
export { ProseGenerator } from './core/prose.js';
export { paperPrompt } from './core/prompt.js';
export { LengthError, type TaskDefinition, type BuildContext, type ParamSpec } from './core/task.js';
export type { Sample, SampleMetadata, ChatMessage, NeedlePlacement, TaskCategory, AxisLevel } from './core/sample.js';
export { packageVersion } from './version.js';
