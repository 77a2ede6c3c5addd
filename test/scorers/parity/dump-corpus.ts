// Writes the parity corpus as the reference implementations' own examples, for checking against
// the real Python code (check_python_reference.py), with this suite's re-implementation's outcome
// (`ts`) and the package's under --compat paper-reference (`pkg`) beside each:
//   npx tsx test/scorers/parity/dump-corpus.ts /tmp/parity-corpus.json
import { writeFileSync } from 'node:fs';
import type { Sample } from '../../../generators/core/sample.js';
import { scoreSample } from '../../../scorers/score-sample.js';
import { adversarialOutputs, corpusSamples } from './corpus.js';
import { referenceScore } from './references.js';
import { PER_SAMPLE } from './parity-settings.js';

/** The reference's example fields for a sample and an output (see references.ts). */
export function referenceExample(metric: string, sample: Sample, pred: string): Record<string, unknown> {
  const t = sample.target;
  const keys = sample.metadata['keys'] as string[];
  switch (metric) {
    case 'sparse-frontier ruler/niah':
      return { pred, answers: t.map((v, i) => [keys[i], v]) };
    case 'sparse-frontier ruler/vt':
      return { pred, gold_answer: t.join(' ') };
    case 'sparse-frontier ruler/cwe':
      return { pred, common_words: t.map((w) => w.toLowerCase()) };
    case 'sparse-frontier story/retrieval':
      return { pred, gold_answer: t.map((a, i) => `${i + 1}. ${a}`).join('\n') };
    case 'sparse-frontier story/multihop':
      return { pred, gold_answer: t[0] };
    case 'sparse-frontier story/filtering':
      return { pred, gold_answer: t.length === 1 && t[0] === 'none' ? '' : t.join(', ') };
    case 'sparse-frontier qa (open)':
      return { pred, gold_answer: t, is_mcq: false };
    case 'sparse-frontier qa (choice)':
      return { pred, gold_answer: t.join(''), is_mcq: true };
    default:
      return { pred, outputs: t };
  }
}

const out = process.argv[2];
if (out) {
  const rows: unknown[] = [];
  for (const group of corpusSamples()) {
    for (const sample of group.samples) {
      for (const output of adversarialOutputs(sample, PER_SAMPLE)) {
        const ref = referenceScore(sample, output);
        if (!ref.outcome) continue;
        const pkg = scoreSample(sample, { output }, { compat: 'paper-reference' });
        rows.push({ metric: ref.metric, example: referenceExample(ref.metric, sample, output), ts: ref.outcome, pkg: pkg.excluded ? { excluded: true } : { score: pkg.score } });
      }
    }
  }
  writeFileSync(out, JSON.stringify(rows));
  process.stderr.write(`wrote ${rows.length} examples to ${out}\n`);
}
