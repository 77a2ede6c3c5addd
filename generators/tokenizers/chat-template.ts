// Chat templates (Jinja, from tokenizer_config.json) rendered with @huggingface/jinja, the
// implementation written for these templates.
import { Template } from '@huggingface/jinja';
import type { ChatMessage } from '../core/sample.js';
import type { ChatTemplateSpec } from './types.js';

const compiled = new Map<string, Template>();

function templateOf(spec: ChatTemplateSpec): Template {
  let template = compiled.get(spec.template);
  if (!template) {
    template = new Template(spec.template);
    compiled.set(spec.template, template);
  }
  return template;
}

/**
 * Renders messages with the template and a generation prompt, as a server would before tokenizing.
 * @example renderChat(tok.chatTemplate!, [{ role: 'user', content: 'Hi' }])
 */
export function renderChat(spec: ChatTemplateSpec, messages: readonly ChatMessage[]): string {
  return templateOf(spec).render({
    ...spec.variables,
    messages: messages.map((m) => ({ ...m })),
    add_generation_prompt: true,
  });
}

/** The text a template puts before and after one stretch of the last user message. */
export interface TemplateFrame {
  head: string;
  tail: string;
}

/**
 * Renders the template once with a marker inside the user message and returns what comes before
 * and after the marker. The prompt is then `head + body + tail` without re-rendering per change.
 * @throws Error when the template drops or rewrites the marker.
 */
export function splitTemplate(
  spec: ChatTemplateSpec,
  system: string | undefined,
  before: string,
  after: string,
): TemplateFrame {
  const marker = '\u2063LONGWEAVE-CONTEXT\u2063';
  const messages: ChatMessage[] = [];
  if (system !== undefined) messages.push({ role: 'system', content: system });
  messages.push({ role: 'user', content: `${before}${marker}${after}` });
  const rendered = renderChat(spec, messages);
  const at = rendered.indexOf(marker);
  if (at < 0 || rendered.indexOf(marker, at + 1) >= 0) {
    throw new Error('The chat template does not render the user message verbatim; counting under it is not supported.');
  }
  return { head: rendered.slice(0, at), tail: rendered.slice(at + marker.length) };
}
