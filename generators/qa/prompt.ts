// The paper's QA prompt: several documents, one question about one of them, named by number.
import { paperPrompt } from '../core/prompt.js';
import type { DocumentFrame } from './documents.js';

export type QuestionKind = 'open' | 'choice';

export const QA_INTRO = 'I will provide you with multiple documents and ask you a question about one specific document.';

/**
 * The text around the documents for one question.
 * @example qaFrame('Who built the bridge?', 'open', false)(3).before // '...Question about document 3:\nWho built the bridge?...'
 */
export function qaFrame(question: string, kind: QuestionKind, absent: boolean): DocumentFrame {
  const answerFormat =
    kind === 'choice'
      ? 'only the letter(s) of the correct option(s), for example "A" or "AB" (more than one option may be correct)'
      : 'a short answer taken from the document (a name, date, number or short phrase), not a complete sentence' +
        (absent ? '. If the document does not contain the answer, answer "none"' : '');
  return (goldNumber) => paperPrompt({ intro: QA_INTRO, question: `Question about document ${goldNumber}:\n${question}`, answerFormat });
}
