import { describe, expect, it } from 'vitest';
import { buildRequestBody, MalformedResponseError, parseResponseBody } from '../../runner/backends/openai-protocol.js';
import { makeSample } from './fixtures.js';

describe('OpenAI wire format', () => {
  const sample = makeSample('ruler/niah', 1024, 0);

  it('sends the messages to chat, greedy by default settings, with extra body merged', () => {
    const body = buildRequestBody('chat', sample, { model: 'q', maxTokens: 32, temperature: 0, extraBody: { chat_template_kwargs: { enable_thinking: false } } });
    expect(body).toEqual({ model: 'q', max_tokens: 32, temperature: 0, messages: sample.messages, chat_template_kwargs: { enable_thinking: false } });
  });

  it('sends input plus answer prefix to completions', () => {
    const body = buildRequestBody('completions', { ...sample, answerPrefix: ' Answer:' }, { model: 'q', maxTokens: 8, temperature: 0 });
    expect(body).toEqual({ model: 'q', max_tokens: 8, temperature: 0, prompt: `${sample.input} Answer:` });
  });

  it('keeps reasoning apart from the answer and reads finish reason and usage', () => {
    const parsed = parseResponseBody(
      'chat',
      JSON.stringify({
        choices: [{ message: { content: '<answer>x</answer>', reasoning_content: 'thinking...' }, finish_reason: 'length' }],
        usage: { prompt_tokens: 1030, completion_tokens: 32 },
      }),
    );
    expect(parsed).toEqual({ output: '<answer>x</answer>', reasoning: 'thinking...', finishReason: 'length', usage: { promptTokens: 1030, completionTokens: 32 } });
    expect(parseResponseBody('chat', JSON.stringify({ choices: [{ message: { content: 'a', reasoning: 'r' } }] })).reasoning).toBe('r');
    expect(parseResponseBody('completions', JSON.stringify({ choices: [{ text: ' 42.', finish_reason: 'stop' }] }))).toEqual({ output: ' 42.', finishReason: 'stop' });
  });

  it('treats a null content (reasoning only) as an empty answer', () => {
    expect(parseResponseBody('chat', JSON.stringify({ choices: [{ message: { content: null, reasoning_content: 'r' } }] })).output).toBe('');
  });

  it('rejects bodies that are not the protocol', () => {
    expect(() => parseResponseBody('chat', '{"choices": [')).toThrow(MalformedResponseError);
    expect(() => parseResponseBody('chat', '{"error": "x"}')).toThrow(/no choices\[0\]/);
    expect(() => parseResponseBody('chat', '{"choices": [{}]}')).toThrow(/message is missing/);
    expect(() => parseResponseBody('completions', '{"choices": [{"text": 3}]}')).toThrow(/number, not a string/);
  });
});
