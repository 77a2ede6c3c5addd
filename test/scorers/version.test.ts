// The scorer version guard: a fingerprint of what every scorer, by default and under
// --compat paper-reference, gives on a fixed corpus (scores, metrics, pass, no-answer, exclusion;
// not the reason text), pinned to SCORER_VERSION. A change to any scorer that changes any of these
// for any input here fails this test until SCORER_VERSION is bumped and the new fingerprint
// recorded, so results of different scoring are never compared silently (the version is written
// into every result and summary, and runs and reports check it).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scoreSample } from '../../scorers/score-sample.js';
import { formatGold, goldAnswer } from '../../scorers/gold.js';
import { SCORER_NAMES } from '../../scorers/registry.js';
import { SCORER_VERSION } from '../../scorers/version.js';
import type { ScorableSample } from '../../scorers/types.js';

/** Fingerprint of each scorer version; add the new one when bumping SCORER_VERSION. */
const FINGERPRINTS: Record<number, string> = {
  2: 'b6918388736d54ba1ca3967b400baa94cff6be44758fd0cfc27c4e097c69de6a',
};

const niahMeta = { keys: ['k1-ab', 'k2-cd', 'k3-ef'], answerTemplate: 'The answer for {key} is {value}.' };
const SAMPLES: (ScorableSample & { answerPrefix?: string })[] = [
  { id: 'niah', task: 'ruler/niah', target: ['v1-xy', 'v2-zw', 'none'], metadata: { scorer: 'numbered', ...niahMeta } },
  { id: 'retrieval', task: 'story/retrieval', target: ['silver lamp', 'Harbor Inn', 'Mara Quill'], metadata: { scorer: 'numbered' } },
  { id: 'vt', task: 'ruler/vt', target: ['ABCDE', 'FGHIJ', 'KLMNO'], metadata: { scorer: 'set-iou', itemPrefixes: ['VAR'], listStyle: 'spaces' } },
  { id: 'cwe', task: 'ruler/cwe', target: ['apple', 'river', 'stone'], metadata: { scorer: 'set-iou', listStyle: 'numbered' } },
  { id: 'filtering', task: 'story/filtering', target: ['2', '6', '15'], metadata: { scorer: 'set-iou', itemPrefixes: ['Chapter'] } },
  { id: 'filtering-none', task: 'story/filtering', target: ['none'], metadata: { scorer: 'set-iou', itemPrefixes: ['Chapter'] } },
  { id: 'multihop', task: 'story/multihop', target: ['silver lamp'], metadata: { scorer: 'exact' } },
  { id: 'squad', task: 'qa/squad', target: ['the city of New York', 'New York'], metadata: { scorer: 'token-f1' } },
  { id: 'quality', task: 'qa/quality', target: ['BC'], metadata: { scorer: 'choice-set' } },
  { id: 'fwe', task: 'ruler/fwe', target: ['hooa', 'qthx'], metadata: { scorer: 'set-iou' } },
  { id: 'ruler-niah', task: 'ruler/niah', target: ['1234567', '7654321'], answerPrefix: ' The numbers are', metadata: { scorer: 'contains-all' } },
  { id: 'ruler-any', task: 'ruler/qa', target: ['Paris', 'paris france'], metadata: { scorer: 'contains-any' } },
  { id: 'f1', task: 'ruler/vt', target: ['ABCDE', 'FGHIJ'], metadata: { scorer: 'contains-all-f1', itemPrefixes: ['VAR'] } },
  { id: 'precise', task: 'ruler/niah', target: ['12345', '67890'], metadata: { scorer: 'contains-any-precise' } },
];

const OUTPUTS: ((s: ScorableSample & { answerPrefix?: string }) => string)[] = [
  (s) => formatGold(s),
  (s) => `<answer>${goldAnswer(s)}</answer>`,
  (s) => goldAnswer(s),
  (s) => `<answer>${s.target.join(', ')}</answer>`,
  (s) => `<answer>${s.target.join(' ')}</answer>`,
  (s) => `<answer>\r\n${s.target.map((t, i) => `${i + 1}. ${t}`).join('\r\n')}</answer>`,
  (s) => `<answer>\r${goldAnswer(s).replace(/\n/g, '\r')}</answer>`,
  (s) => `<answer>[${s.target.map((t) => `'${t}'`).join(', ')}]</answer>`,
  (s) => `<answer>${s.target.slice(0, -1).join(', ')}, and ${s.target[s.target.length - 1]}</answer>`,
  (s) => `<answer>${s.target.map((t) => `VAR ${t}`).join(', ')}</answer>`,
  (s) => `<answer>Chapters ${s.target.join(', ')}</answer>`,
  (s) => `<answer>${goldAnswer(s).toUpperCase()}</answer>`,
  (s) => `<ANSWER>${goldAnswer(s)}.</ANSWER>`,
  (s) => `<anſwer>${goldAnswer(s)}</anſwer>`,
  (s) => `<answer>wrong</answer><answer>${goldAnswer(s)}</answer>`,
  (s) => `<answer>${goldAnswer(s)}</answer><answer>wrong</answer>`,
  (s) => `<answer>${goldAnswer(s)}`,
  (s) => `<think>maybe ${s.target.join(' ')} <answer>wrong</answer></think><answer>${goldAnswer(s)}</answer>`,
  (s) => `<think>${s.target.join(' ')}</think>nothing`,
  (s) => `reasoning</think><answer>${goldAnswer(s)}</answer></think>x`,
  (s) => `<think>cut ${goldAnswer(s)}`,
  (s) => `<answer>${goldAnswer(s)} (<think> mentioned)</answer>`,
  () => '',
  () => ' \x85\x1c\ufeff ',
  () => '<answer></answer>',
  () => '<answer>N/A</answer>',
  () => '<answer>nothing</answer>',
  (s) => `<answer>${goldAnswer(s).replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)))}</answer>`,
  (s) => `<answer>${goldAnswer(s).replace(/ /g, '\u00a0').replace(/s/g, 'ſ')}</answer>`,
  (s) => `<answer>${goldAnswer(s).replace(/a/g, '\u0430')}\u200b</answer>`,
  (s) => `<answer>The answer is ${goldAnswer(s)}, I think. 3.5 kg</answer>`,
  (s) => `<answer>${goldAnswer(s).slice(0, Math.floor(goldAnswer(s).length / 2))}</answer>`,
  (s) => `<answer>${[...s.target, ...s.target].join(', ')}, QQQQQ, 99999</answer>`,
  (s) => `<answer>A good choice is ${goldAnswer(s)}</answer>`,
  (s) => `<answer>Question 1: ${goldAnswer(s)}, ${goldAnswer(s)}</answer>`,
  (s) => `<answer>${s.target[0]} w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14</answer>`,
];

function fingerprint(): { hash: string; rows: number } {
  const hash = createHash('sha256');
  let rows = 0;
  for (const sample of SAMPLES) {
    for (const [i, make] of OUTPUTS.entries()) {
      const output = make(sample);
      for (const options of [{}, { compat: 'paper-reference' } as const]) {
        const r = scoreSample(sample, { output }, options);
        hash.update(JSON.stringify([sample.id, i, 'compat' in options, r.name, r.score, r.pass, r.noAnswer ?? false, r.excluded ?? false, r.metrics ?? {}, r.reference ?? null]));
        rows++;
      }
    }
  }
  return { hash: hash.digest('hex'), rows };
}

describe('SCORER_VERSION', () => {
  it('covers every scorer', () => {
    expect([...new Set(SAMPLES.map((s) => s.metadata.scorer))].sort()).toEqual([...SCORER_NAMES].sort());
  });

  it('pins the scorers\' outputs on a fixed corpus to the version (bump it when they change)', () => {
    const { hash, rows } = fingerprint();
    expect(rows).toBe(SAMPLES.length * OUTPUTS.length * 2);
    expect(
      { version: SCORER_VERSION, fingerprint: hash },
      `The scorers' outputs changed. If that is intended, bump SCORER_VERSION in scorers/version.ts and record ${hash} for it in FINGERPRINTS here.`,
    ).toEqual({ version: SCORER_VERSION, fingerprint: FINGERPRINTS[SCORER_VERSION] });
  });
});
