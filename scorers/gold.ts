// The ideal output of a sample: its gold answer written the way the prompt asks. The oracle
// backend answers with it, and the property tests check that it scores 1 with every scorer.
import type { ScorableSample } from './types.js';
import { fillTemplate } from './numbered.js';

/** How list answers are laid out (`metadata.listStyle`): default `comma` (`a, b`); `numbered` (`1. a`
 * lines), `lines` (one per line), `spaces` (`a b`, the paper's VT format; single-word items only). */
export type ListStyle = 'comma' | 'numbered' | 'lines' | 'spaces';

function listStyleOf(metadata: Record<string, unknown>): ListStyle {
  const s = metadata['listStyle'];
  return s === 'numbered' || s === 'lines' || s === 'spaces' ? s : 'comma';
}

function joinList(items: readonly string[], style: ListStyle): string {
  if (style === 'numbered') return items.map((item, i) => `${i + 1}. ${item}`).join('\n');
  if (style === 'lines') return items.join('\n');
  if (style === 'spaces') return items.join(' ');
  return items.join(', ');
}

/**
 * The answer text alone (what goes inside `<answer>`), by the sample's scorer:
 * `numbered` lines `i. <filled answerTemplate or value>`; set scorers the target as a list in
 * `metadata.listStyle`; `exact`, `token-f1`, `contains-any*` the first target; `choice-set` the
 * sorted letters; `contains-all*` the targets joined by `, `.
 * @throws Error for an unknown scorer name.
 * @example goldAnswer({ id: 'x', task: 't/x', target: ['b', 'a'], metadata: { scorer: 'choice-set' } }) // 'AB'
 */
export function goldAnswer(sample: ScorableSample): string {
  const { metadata, target } = sample;
  switch (metadata.scorer) {
    case 'numbered': {
      const template = typeof metadata['answerTemplate'] === 'string' ? metadata['answerTemplate'] : undefined;
      const keys = Array.isArray(metadata['keys']) ? (metadata['keys'] as unknown[]) : [];
      return target
        .map((value, i) => {
          const key = keys[i];
          return `${i + 1}. ${template !== undefined && typeof key === 'string' ? fillTemplate(template, key, value) : value}`;
        })
        .join('\n');
    }
    case 'set-iou':
      return joinList(target, listStyleOf(metadata));
    case 'exact':
    case 'token-f1':
    case 'contains-any':
    case 'contains-any-precise':
      return target[0] ?? '';
    case 'choice-set':
      return [...new Set(target.join('').toUpperCase().replace(/[^A-Z]/g, ''))].sort().join('');
    case 'contains-all':
    case 'contains-all-f1':
      return target.join(', ');
    default:
      throw new Error(`Cannot format the gold answer of sample "${sample.id}": unknown scorer "${metadata.scorer}".`);
  }
}

/**
 * The ideal model output for a sample: `<answer>\n{goldAnswer}\n</answer>`, or, for samples with
 * an `answerPrefix` (completion-style RULER prompts), the answer continuing the prefix.
 * @example formatGold({ id: 'x', task: 'story/multihop', target: ['silver lamp'], metadata: { scorer: 'exact' } })
 * // '<answer>\nsilver lamp\n</answer>'
 */
export function formatGold(sample: ScorableSample & { answerPrefix?: string }): string {
  const answer = goldAnswer(sample);
  if (sample.answerPrefix !== undefined) return ` ${answer}.`;
  return `<answer>\n${answer}\n</answer>`;
}
