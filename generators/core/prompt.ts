// The paper's prompt shape, shared by its tasks: an introduction, the question before the
// context and repeated after it, and instructions to explain briefly in <explanation> and answer in
// <answer> in a stated format.

export interface PaperPromptParts {
  /** What the task is, in a sentence or two. */
  intro: string;
  /** The question(s), stated before and after the context. */
  question: string;
  /** The answer format, e.g. "a comma-separated list of variable names". */
  answerFormat: string;
}

/** The text before and after the context. */
export interface PromptFrame {
  before: string;
  after: string;
}

/**
 * Builds the text around the context.
 * @example paperPrompt({ intro: 'Find the keys.', question: 'What is k?', answerFormat: 'a number' })
 */
export function paperPrompt(parts: PaperPromptParts): PromptFrame {
  return {
    before: `${parts.intro}\n\n<question>\n${parts.question}\n</question>\n\n<context>\n`,
    after:
      `\n</context>\n\n<question_repeated>\n${parts.question}\n</question_repeated>\n\n` +
      'First give a short explanation inside <explanation></explanation> tags. ' +
      `Then give your final answer inside <answer></answer> tags, formatted as ${parts.answerFormat}.`,
  };
}
