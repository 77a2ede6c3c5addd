// The reference implementation's per-task evaluation, re-implemented for the parity suite from
// sparse-frontier's source (github.com/PiotrNawrot/sparse-frontier, commit
// 31d86c170248865183d6569c491d47f71cdd9d53): the `evaluate` static methods of
// sparse_frontier/tasks/ruler/niah.py, ruler/vt.py, ruler/cwe.py, story/retrieval.py,
// story/multihop.py, story/filtering.py and qa/qa_task.py with qa/qa_utils.py. Each function
// takes the reference's own example fields (`pred` plus the gold fields its generator stores) and
// returns the mean over the examples it keeps, the way `evaluate` does, plus each example's
// contribution, so the suite can compare sample by sample. Regular expressions are the reference's
// own patterns, run with Python's semantics (./python.ts).
import * as py from './python.js';

/** One example's outcome: its score, or left out of the mean. */
export type Outcome = { score: number } | { excluded: true };

/** What an `evaluate` returns here: the mean the reference reports and the per-example outcomes. */
export interface Evaluation {
  mean: number;
  outcomes: Outcome[];
}

function evaluation(outcomes: Outcome[]): Evaluation {
  const kept = outcomes.flatMap((o) => ('score' in o ? [o.score] : []));
  // np.mean over the kept scores; 0.0 when none are kept.
  return { mean: kept.length ? kept.reduce((a, b) => a + b, 0) / kept.length : 0, outcomes };
}

const ANSWER_TAG = '<answer>(.*?)</answer>';

// ---- ruler/niah.py ----
export interface NiahExample {
  pred: string;
  /** The (key, value) pairs asked, in question order (the generator's `answers`). */
  answers: [string, string][];
}

export function niahEvaluate(examples: readonly NiahExample[]): Evaluation {
  const normalize = (text: string): string => py.sub(String.raw`\bis:\s+`, 'is ', py.sub(String.raw`\s+`, ' ', py.strip(py.lower(text))));
  const extract = (raw: string): Map<bigint, [string, string]> => {
    const block = py.search(ANSWER_TAG, raw, py.DOTALL | py.IGNORECASE);
    const text = block ? (block[1] as string) : raw;
    const found = new Map<bigint, [string, string]>();
    for (const m of py.finditer(String.raw`(\d+)\.\s*The answer for\s+([\w-]+)\s+is:?\s+(.+?)(?:\.|$)`, text, py.IGNORECASE | py.MULTILINE)) {
      const index = py.int(m[1] as string);
      if (!found.has(index)) found.set(index, [py.strip(m[2] as string), normalize(py.strip(m[3] as string))]);
    }
    return found;
  };
  return evaluation(
    examples.map((example) => {
      const pred = extract(example.pred);
      let correct = 0;
      example.answers.forEach(([key, value], i) => {
        const p = pred.get(BigInt(i + 1));
        if (p && p[0] === key && p[1] === normalize(value)) correct++;
      });
      return { score: example.answers.length > 0 ? correct / example.answers.length : 0 };
    }),
  );
}

// ---- ruler/vt.py ----
export interface VtExample {
  pred: string;
  /** The target variables joined by spaces. */
  gold_answer: string;
}

function setIou<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): { intersection: number; union: number } {
  const union = new Set([...a, ...b]).size;
  const intersection = [...a].filter((x) => b.has(x)).length;
  return { intersection, union };
}

export function vtEvaluate(examples: readonly VtExample[]): Evaluation {
  const normalize = (raw: string): string => {
    const block = py.search(ANSWER_TAG, raw, py.DOTALL | py.IGNORECASE);
    const text = py.sub(String.raw`\s+`, ' ', py.strip(py.upper(block ? (block[1] as string) : raw)));
    return py.sub(String.raw`VAR\s+`, '', text);
  };
  return evaluation(
    examples.map((example) => {
      const { intersection, union } = setIou(new Set(py.splitWhitespace(normalize(example.pred))), new Set(py.splitWhitespace(normalize(example.gold_answer))));
      return { score: union === 0 ? 1 : intersection / union };
    }),
  );
}

// ---- ruler/cwe.py ----
export interface CweExample {
  pred: string;
  /** The common words, lowercased. */
  common_words: string[];
}

export function cweEvaluate(examples: readonly CweExample[]): Evaluation {
  return evaluation(
    examples.map((example) => {
      const block = py.search(ANSWER_TAG, example.pred, py.DOTALL | py.IGNORECASE);
      if (!block) return { score: 0 };
      const words = new Set<string>();
      for (const raw of py.strip(block[1] as string).split('\n')) {
        const line = py.strip(raw);
        if (!line) continue;
        const m = py.match(String.raw`^\d+[.)\-]?\s*(.+)$`, line);
        if (!m) continue;
        const word = py.lower(py.strip(m[1] as string));
        if (word) words.add(word);
      }
      const { intersection, union } = setIou(words, new Set(example.common_words));
      return { score: union > 0 ? intersection / union : 0 };
    }),
  );
}

// ---- story/retrieval.py and story/multihop.py ----
const storyNormalize = (text: string): string => py.sub('^(the|a|an)\\s+', '', py.sub(String.raw`\s+`, ' ', py.strip(py.lower(text))));

export interface RetrievalExample {
  pred: string;
  /** "1. answer\n2. answer ..." */
  gold_answer: string;
}

export function retrievalEvaluate(examples: readonly RetrievalExample[]): Evaluation {
  const extract = (raw: string): Map<bigint, string> => {
    const block = py.search(ANSWER_TAG, raw, py.DOTALL | py.IGNORECASE);
    const text = block ? (block[1] as string) : raw;
    const found = new Map<bigint, string>();
    for (const line of text.split('\n')) {
      const m = py.match(String.raw`^(\d+)[\.:\)]\s*(.+?)\s*$`, py.strip(line));
      if (!m) continue;
      const index = py.int(m[1] as string);
      if (!found.has(index)) found.set(index, storyNormalize(m[2] as string));
    }
    return found;
  };
  return evaluation(
    examples.map((example): Outcome => {
      const gold = extract(example.gold_answer);
      const pred = extract(example.pred);
      if (gold.size === 0) return { excluded: true };
      let correct = 0;
      for (const [index, answer] of gold) if (pred.get(index) === answer) correct++;
      return { score: correct / gold.size };
    }),
  );
}

export interface MultihopExample {
  pred: string;
  gold_answer: string;
}

export function multihopEvaluate(examples: readonly MultihopExample[]): Evaluation {
  return evaluation(
    examples.map((example): Outcome => {
      const gold = storyNormalize(example.gold_answer);
      const block = py.search(ANSWER_TAG, example.pred, py.DOTALL | py.IGNORECASE);
      const pred = block ? storyNormalize(block[1] as string) : '';
      if (!gold || !pred) return { excluded: true };
      return { score: pred === gold ? 1 : 0 };
    }),
  );
}

// ---- story/filtering.py ----
export interface FilteringExample {
  pred: string;
  /** Chapter numbers joined by ", ", or "" when no chapter qualifies. */
  gold_answer: string;
}

export function filteringEvaluate(examples: readonly FilteringExample[]): Evaluation {
  const numbers = (raw: string): Set<bigint> => {
    const parts = py.split(String.raw`[,\s]+`, py.sub(String.raw`[^0-9,\s]`, '', py.strip(raw)));
    try {
      return new Set(parts.filter((p) => py.strip(p) !== '').map(py.int));
    } catch {
      return new Set();
    }
  };
  const extract = (raw: string): Set<bigint> => {
    const block = py.search(ANSWER_TAG, raw, py.DOTALL | py.IGNORECASE);
    if (!block) return new Set();
    const chapters = py.findall(String.raw`Chapter\s+(\d+)`, block[1] as string, py.IGNORECASE);
    return chapters.length ? new Set(chapters.map(py.int)) : numbers(block[1] as string);
  };
  return evaluation(
    examples.map((example): Outcome => {
      const pred = py.strip(example.pred);
      const gold = py.strip(example.gold_answer);
      if (!pred || !gold) return { excluded: true };
      const goldSet = numbers(gold);
      const predSet = extract(pred);
      if (goldSet.size === 0 && predSet.size === 0) return { score: 1 };
      const { intersection, union } = setIou(goldSet, predSet);
      return { score: union ? intersection / union : 0 };
    }),
  );
}

// ---- qa/qa_task.py and qa/qa_utils.py ----
export interface QaExample {
  pred: string;
  /** Open questions: the gold answers; multiple choice: the letters. */
  gold_answer: string[] | string;
  is_mcq: boolean;
}

const PUNCTUATION = new Set([...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~']);

function taggedAnswer(text: string): string {
  const block = py.search(ANSWER_TAG, text, py.DOTALL);
  return block ? py.strip(block[1] as string) : '';
}

function mcqNormalize(raw: string): string {
  const block = py.search(ANSWER_TAG, raw, py.DOTALL);
  let answer = block ? (block[1] as string) : raw;
  answer = py.sub(String.raw`Question\s*\d+\.?\s*`, '', answer);
  answer = py.sub('[^A-D]', '', py.upper(answer));
  return [...answer].sort().join('');
}

function openNormalize(raw: string): string {
  const block = py.search(ANSWER_TAG, raw, py.DOTALL);
  const text = py.lower(block ? (block[1] as string) : raw);
  const withoutPunctuation = [...text].filter((ch) => !PUNCTUATION.has(ch)).join('');
  return py.splitWhitespace(py.sub(String.raw`\b(a|an|the|and|or|about|to)\b`, ' ', withoutPunctuation)).join(' ');
}

function f1Score(prediction: string, gold: string): number {
  const p = new Set(py.splitWhitespace(prediction));
  const g = new Set(py.splitWhitespace(gold));
  const tp = [...p].filter((t) => g.has(t)).length;
  const fp = [...p].filter((t) => !g.has(t)).length;
  const fn = [...g].filter((t) => !p.has(t)).length;
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  if (precision + recall === 0) return 0;
  return py.round((2 * (precision * recall)) / (precision + recall), 2);
}

export function qaEvaluate(examples: readonly QaExample[]): Evaluation {
  return evaluation(
    examples.map((example): Outcome => {
      const answer = taggedAnswer(example.pred);
      if (example.is_mcq) return { score: mcqNormalize(answer) === mcqNormalize(String(example.gold_answer)) ? 1 : 0 };
      const golds = Array.isArray(example.gold_answer) ? example.gold_answer : [example.gold_answer];
      const pred = openNormalize(answer);
      return { score: Math.max(...golds.map((g) => f1Score(pred, openNormalize(g)))) };
    }),
  );
}
