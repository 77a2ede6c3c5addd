// Haystacks: the filler sources a context is built from. `prose` is the package's own essay-like
// text (where RULER used Paul Graham's essays), `noise` is RULER's repeated sentences, and
// distractor haystacks are built by the tasks themselves from their needle format.
import { ProseGenerator } from './prose.js';
import type { Random } from './random.js';
import type { FillerSource } from './assemble.js';

/** Short sentences that close small gaps in prose without breaking its register. */
const SHORT_PROSE = ['So it goes.', 'That was all.', 'Nothing changed.', 'It worked.', 'Time passed.', 'Quite so.', 'Perhaps.', 'Indeed.', 'Not always.', 'Rarely, though.'];

/** RULER's noise haystack: five sentences repeated. */
export const NOISE_SENTENCES = ['The grass is green.', 'The sky is blue.', 'The sun is yellow.', 'Here we go.', 'There and back again.'] as const;

/**
 * Essay-like prose, one sentence per unit; paragraph breaks ride on the last sentence.
 * @example proseFiller(new Random('s')).next()
 */
export function proseFiller(rng: Random): FillerSource {
  const prose = new ProseGenerator(rng);
  return {
    next: () => {
      const sentence = prose.sentence();
      return prose.atParagraphEnd ? `${sentence}\n\n` : sentence;
    },
    shortUnits: SHORT_PROSE,
  };
}

/** RULER's noise haystack, cycling through its five sentences. */
export function noiseFiller(): FillerSource {
  let i = 0;
  return {
    next: () => NOISE_SENTENCES[i++ % NOISE_SENTENCES.length] as string,
    shortUnits: NOISE_SENTENCES,
  };
}

/** A filler of distractor units made by `make`, closing small gaps with noise sentences. */
export function distractorFiller(make: () => string): FillerSource {
  return { next: make, shortUnits: [...NOISE_SENTENCES, ...SHORT_PROSE] };
}

export type HaystackKind = 'prose' | 'noise' | 'needle';
