// The OpenAI-compatible wire format: request bodies for the chat and completions endpoints, and
// the parts of a response the runner keeps. Pure; the transport lives in openai.ts.
import type { Sample } from '../../generators/core/sample.js';
import type { Prediction } from '../types.js';

export type OpenAIEndpoint = 'chat' | 'completions';

/** URL path of an endpoint under the base URL (which normally ends in /v1). */
export const ENDPOINT_PATHS: Record<OpenAIEndpoint, string> = {
  chat: '/chat/completions',
  completions: '/completions',
};

/** What goes into every request besides the prompt. */
export interface RequestSettings {
  model: string;
  maxTokens: number;
  temperature: number;
  extraBody?: Record<string, unknown>;
}

/**
 * The JSON body for one sample. Chat sends the sample's messages (or its input as one user
 * message); completions sends the input followed by the answer prefix. Greedy unless told.
 * @example buildRequestBody('chat', sample, { model: 'm', maxTokens: 64, temperature: 0 })
 */
export function buildRequestBody(endpoint: OpenAIEndpoint, sample: Sample, settings: RequestSettings): Record<string, unknown> {
  const common = { model: settings.model, max_tokens: settings.maxTokens, temperature: settings.temperature };
  if (endpoint === 'chat') {
    const messages = sample.messages && sample.messages.length > 0 ? sample.messages : [{ role: 'user', content: sample.input }];
    return { ...common, messages, ...settings.extraBody };
  }
  return { ...common, prompt: sample.input + (sample.answerPrefix ?? ''), ...settings.extraBody };
}

/** A 2xx response whose body is not what the protocol promises. */
export class MalformedResponseError extends Error {
  constructor(reason: string) {
    super(`malformed response: ${reason}`);
    this.name = 'MalformedResponseError';
  }
}

type ParsedResponse = Pick<Prediction, 'output' | 'reasoning' | 'finishReason' | 'usage'>;

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Extracts the answer, separate reasoning, finish reason and usage from a response body.
 * Reasoning comes from `reasoning_content` (vLLM, SGLang, DeepSeek) or `reasoning` (Ollama,
 * OpenRouter); it is never mixed into the answer.
 * @throws MalformedResponseError when the body is not JSON or has no choice with text.
 * @example parseResponseBody('chat', '{"choices":[{"message":{"content":"4"},"finish_reason":"stop"}]}').output // '4'
 */
export function parseResponseBody(endpoint: OpenAIEndpoint, body: string): ParsedResponse {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MalformedResponseError(`body is not JSON (${body.length} bytes: ${JSON.stringify(body.slice(0, 80))})`);
  }
  const root = asRecord(json);
  const choices = root?.['choices'];
  const choice = Array.isArray(choices) ? asRecord(choices[0]) : undefined;
  if (!root || !choice) throw new MalformedResponseError('no choices[0]');
  let output: unknown;
  let reasoning: unknown;
  if (endpoint === 'chat') {
    const message = asRecord(choice['message']);
    if (!message) throw new MalformedResponseError('choices[0].message is missing');
    output = message['content'] ?? '';
    reasoning = message['reasoning_content'] ?? message['reasoning'];
  } else {
    output = choice['text'];
  }
  if (typeof output !== 'string') throw new MalformedResponseError(`the answer is ${output === undefined ? 'missing' : typeof output}, not a string`);
  const parsed: ParsedResponse = { output };
  if (typeof reasoning === 'string' && reasoning !== '') parsed.reasoning = reasoning;
  if (typeof choice['finish_reason'] === 'string') parsed.finishReason = choice['finish_reason'];
  const usage = asRecord(root['usage']);
  if (usage) {
    const out: NonNullable<Prediction['usage']> = {};
    if (typeof usage['prompt_tokens'] === 'number') out.promptTokens = usage['prompt_tokens'];
    if (typeof usage['completion_tokens'] === 'number') out.completionTokens = usage['completion_tokens'];
    parsed.usage = out;
  }
  return parsed;
}
