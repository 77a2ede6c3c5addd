// Turns an assembled prompt into a sample: messages, metadata and the task's answer fields.
import type { ExactPrompt } from './assemble.js';
import type { BuildContext, TaskDefinition } from './task.js';
import type { Sample } from './sample.js';
import { promptFormat } from './prompt-format.js';

export interface FinishOptions {
  /** Overrides the task's default scorer (e.g. RULER's format scores with contains-all). */
  scorer?: string;
  answerPrefix?: string;
  system?: string;
  /** Task-specific metadata (undefined values are dropped). */
  extra?: Record<string, unknown>;
}

/** Builds the sample (without its id) from an exact prompt. */
export function finishSample<P extends object>(
  task: TaskDefinition<P>,
  ctx: BuildContext<P>,
  prompt: ExactPrompt,
  target: string[],
  options: FinishOptions = {},
): Omit<Sample, 'id'> {
  const extra = Object.fromEntries(Object.entries(options.extra ?? {}).filter(([, v]) => v !== undefined));
  const maxOutputTokens = typeof task.maxOutputTokens === 'function' ? task.maxOutputTokens(ctx.params) : task.maxOutputTokens;
  const messages: Sample['messages'] = [];
  if (options.system !== undefined) messages.push({ role: 'system', content: options.system });
  messages.push({ role: 'user', content: prompt.input });
  return {
    task: task.id,
    taskVersion: task.version,
    input: prompt.input,
    target,
    messages,
    ...(options.answerPrefix !== undefined ? { answerPrefix: options.answerPrefix } : {}),
    metadata: {
      seed: ctx.seed,
      ...promptFormat(ctx.tokenizer, ctx.chatTemplate),
      inputTokens: prompt.tokens,
      targetLength: ctx.length,
      index: ctx.index,
      params: ctx.params as Record<string, unknown>,
      category: task.category,
      scope: task.scope,
      dispersion: task.dispersion,
      scorer: options.scorer ?? task.scorer,
      maxOutputTokens,
      ...(prompt.needles.length > 0 ? { needles: prompt.needles } : {}),
      ...extra,
    },
  };
}
