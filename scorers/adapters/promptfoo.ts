// promptfoo: a JavaScript assertion `(output, context) => GradingResult` and an exporter that
// writes a promptfoo config and a tests file for a dataset. The config's assertion points at
// promptfoo-assertion.(js|ts) beside this module, which default-exports the assertion.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sample } from '../../generators/core/sample.js';
import { scoreSample, type ScoreOptions } from '../score-sample.js';
import { sampleFromVars, type ExportedVars } from './context.js';

/** promptfoo's GradingResult, the fields we fill. */
export interface PromptfooGradingResult {
  pass: boolean;
  score: number;
  reason: string;
  namedScores: Record<string, number>;
}

/** What promptfoo passes to a JavaScript assertion, the fields we read. */
export interface PromptfooAssertionContext {
  vars: Record<string, unknown>;
  providerResponse?: { finishReason?: string } | undefined;
  config?: { compat?: 'paper-reference' } | undefined;
}

/**
 * A promptfoo JavaScript assertion: scores `output` against the test's vars (`target`, `scorer`,
 * `metadata`, as the exporter writes them). The assertion's `config.compat` may be
 * `paper-reference`.
 * @throws Error when vars lack target or scorer.
 * @example promptfooAssertion('<answer>silver lamp</answer>', { vars: { target: ['silver lamp'], scorer: 'exact' } }).pass // true
 */
export function promptfooAssertion(output: string, context: PromptfooAssertionContext): PromptfooGradingResult {
  const sample = sampleFromVars(context.vars as ExportedVars, `promptfoo test ${String(context.vars['id'] ?? '')}`.trim());
  const finishReason = context.providerResponse?.finishReason;
  const options: ScoreOptions = context.config?.compat ? { compat: context.config.compat } : {};
  const r = scoreSample(sample, { output: typeof output === 'string' ? output : JSON.stringify(output), ...(finishReason ? { finishReason } : {}) }, options);
  return {
    pass: r.pass,
    score: r.score,
    reason: `${r.name}: ${r.reason}${r.truncated ? ' (output truncated by the token limit)' : ''}${r.noAnswer ? ' (no answer found)' : ''}`,
    namedScores: { [r.name]: r.score, ...r.metrics },
  };
}

/** Exporter options. */
export interface PromptfooExportOptions {
  /** promptfoo provider ids or objects (default `['echo']`: replace with your model). */
  providers?: unknown[];
  /** The assertion reference (default: `file://` + the absolute path of promptfoo-assertion). */
  assertion?: string;
  /** Name of the tests file written beside the config (default `tests.jsonl`). */
  testsFile?: string;
  description?: string;
  /** Scoring compatibility passed to the assertion. */
  compat?: 'paper-reference';
}

/** The absolute path of the module that default-exports {@link promptfooAssertion}. */
export function promptfooAssertionPath(): string {
  const here = fileURLToPath(import.meta.url);
  return here.slice(0, -extname(here).length).replace(/promptfoo$/, 'promptfoo-assertion') + extname(here);
}

/**
 * Files for promptfoo: `promptfooconfig.yaml` (JSON, which YAML reads) and the tests file, one
 * test per sample with vars `id`, `task`, `input`, `target` (the list as JSON: promptfoo would
 * expand a list into several tests), `scorer`, `metadata`. The prompt is `{{input}}`, the
 * sample's full prompt text.
 * @example promptfooExport(samples, { providers: ['openai:chat:gpt-4.1-mini'] })['promptfooconfig.yaml']
 */
export function promptfooExport(samples: readonly Sample[], options: PromptfooExportOptions = {}): Record<string, string> {
  const testsFile = options.testsFile ?? 'tests.jsonl';
  const assertion: Record<string, unknown> = { type: 'javascript', value: options.assertion ?? `file://${promptfooAssertionPath()}` };
  if (options.compat) assertion['config'] = { compat: options.compat };
  const config = {
    description: options.description ?? `longweave: ${[...new Set(samples.map((s) => s.task))].join(', ')}`,
    prompts: ['{{input}}'],
    providers: options.providers ?? ['echo'],
    defaultTest: { assert: [assertion] },
    tests: `file://${testsFile}`,
  };
  const tests = samples.map((s) =>
    JSON.stringify({
      description: s.id,
      // promptfoo expands list-valued vars into one test per element, so the target list goes as JSON.
      vars: { id: s.id, task: s.task, input: s.input, target: JSON.stringify(s.target), scorer: s.metadata.scorer, metadata: s.metadata },
      metadata: { longweaveId: s.id, task: s.task, length: s.metadata.targetLength },
    }),
  );
  return {
    'promptfooconfig.yaml': `# longweave export for promptfoo: set "providers" to your model, then run \`promptfoo eval -c promptfooconfig.yaml\`.\n${JSON.stringify(config, null, 2)}\n`,
    [testsFile]: tests.join('\n') + (tests.length ? '\n' : ''),
  };
}
