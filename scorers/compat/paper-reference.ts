// `compat: 'paper-reference'`: each sample scored exactly as its reference implementation scores
// it, quirks included, for numbers comparable with published ones.
//
// - The paper's tasks in the paper's format: the per-sample body of each task's `evaluate` in
//   sparse-frontier (github.com/PiotrNawrot/sparse-frontier, commit 31d86c170248865183d6569c491d47f71cdd9d53):
//   sparse_frontier/tasks/ruler/{niah,vt,cwe}.py, sparse_frontier/tasks/story/{retrieval,multihop,filtering}.py,
//   sparse_frontier/tasks/qa/qa_task.py with qa_utils.py. Where `evaluate` leaves a sample out of
//   its mean the result is marked `excluded` (counted and reported, left out of means).
// - RULER-format samples (`contains-all`, `contains-any`): RULER's string_match_all /
//   string_match_part per sample (scorers/compat/ruler.ts), on the raw output.
// - Anything else (tasks and formats neither has): the default scorers.
//
// The references are Python: their regular expressions, str.strip(), str.split(), int() and
// round() are reproduced with Python's semantics (scorers/compat/python.ts), so fullwidth digits,
// U+0085 or U+001C, the long s and U+FEFF are read as Python reads them. The output is read as
// given: no reasoning is removed (the references see `<think>` blocks like any other text).
//
// Quirks kept (the default scorers have none of them):
// - ruler/niah: only lines `N. The answer for <key> is <value>` count; the key is compared
//   case-sensitively; the value is cut at its first period.
// - ruler/vt: the answer is uppercased, `VAR ` removed and split on whitespace only (a comma stays
//   attached to a name).
// - ruler/cwe: no `<answer>` tag scores 0 (other tasks read the whole output); only numbered
//   lines inside the tag count, and a line's rest is one word.
// - story/retrieval: numbered lines `N.`, `N:` or `N)` only.
// - story/multihop: no `<answer>` tag, or an empty answer, drops the sample from the mean.
// - story/filtering: an empty output drops the sample, and so does a sample whose gold is that no
//   chapter qualifies (the reference's gold is then the empty string); no tag scores 0;
//   `Chapter N` numbers are read, else every run of ASCII digits.
// - SQuAD: `<answer>` is matched case-sensitively; normalisation also removes and/or/about/to;
//   token-set F1 rounded to 2 decimals by Python's round (ties to even: 0.125 -> 0.12).
// - Multiple choice: every letter A-D anywhere in the answer counts, duplicates kept.
import type { ScoreResult, ScorerInput } from '../types.js';
import { getScorer } from '../registry.js';
import { rulerStringMatchAll, rulerStringMatchPart } from './ruler.js';
import { PY_BOUNDARY, PY_DIGIT, PY_DOT, PY_LINE_END, PY_SPACE, PY_SPACE_CHARS, PY_WORD_CHARS, pyCollapseSpace, pyIgnoreCase, pyIntString, pyRound, pySplit, pyStrip } from './python.js';

/** A reference scorer: one sample's score as its reference implementation computes it. */
export type ReferenceScorer = (input: ScorerInput) => ScoreResult;

function result(name: string, score: number, reason: string, extra: Partial<ScoreResult> = {}): ScoreResult {
  return { name, score, pass: score === 1, reason, ...extra };
}

// re.search(r'<answer>(.*?)</answer>', text, re.DOTALL [| re.IGNORECASE]).group(1)
const ANSWER_BLOCK_IGNORECASE = new RegExp(`<${pyIgnoreCase('answer')}>([\\s\\S]*?)</${pyIgnoreCase('answer')}>`, 'u');
const ANSWER_BLOCK = /<answer>([\s\S]*?)<\/answer>/u;

/**
 * The content of the first `<answer>...</answer>` block as the references' `re.search` finds it
 * (case-insensitively as re.IGNORECASE folds, or exactly), or null.
 * @example firstAnswerBlock('<ANſWER>x</answer>') // 'x'
 */
export function firstAnswerBlock(text: string, ignoreCase = true): string | null {
  const m = (ignoreCase ? ANSWER_BLOCK_IGNORECASE : ANSWER_BLOCK).exec(text);
  return m ? (m[1] as string) : null;
}

function iou<T>(pred: ReadonlySet<T>, gold: ReadonlySet<T>, emptyUnion: number): number {
  let intersection = 0;
  for (const p of pred) if (gold.has(p)) intersection++;
  const union = pred.size + gold.size - intersection;
  return union === 0 ? emptyUnion : intersection / union;
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.map((v) => String(v)) : [];
}

// ---- ruler/niah (sparse_frontier/tasks/ruler/niah.py, NIAHTask.evaluate) ----
const NIAH_IS_COLON = new RegExp(`${PY_BOUNDARY}is:${PY_SPACE}+`, 'gu');
const NIAH_LINE = new RegExp(
  `(${PY_DIGIT}+)\\.${PY_SPACE}*${pyIgnoreCase('The answer for')}${PY_SPACE}+([${PY_WORD_CHARS}-]+)${PY_SPACE}+${pyIgnoreCase('is')}:?${PY_SPACE}+(${PY_DOT}+?)(?:\\.|${PY_LINE_END})`,
  'gu',
);
const niahNormalize = (text: string): string => pyCollapseSpace(pyStrip(text.toLowerCase())).replace(NIAH_IS_COLON, 'is ');

const niah: ReferenceScorer = ({ output, expected, metadata }) => {
  const text = firstAnswerBlock(output) ?? output;
  const pred = new Map<string, [string, string]>();
  for (const m of text.matchAll(NIAH_LINE)) {
    const index = pyIntString(m[1] as string);
    if (!pred.has(index)) pred.set(index, [pyStrip(m[2] as string), niahNormalize(pyStrip(m[3] as string))]);
  }
  const keys = stringsOf(metadata?.['keys']);
  let correct = 0;
  expected.forEach((value, i) => {
    const p = pred.get(String(i + 1));
    if (p && p[0] === keys[i] && p[1] === niahNormalize(value)) correct++;
  });
  const score = expected.length > 0 ? correct / expected.length : 0;
  return result('numbered', score, `paper-reference NIAH: ${correct}/${expected.length} right`, pred.size === 0 ? { noAnswer: true } : {});
};

// ---- ruler/vt (sparse_frontier/tasks/ruler/vt.py, VariableTrackingTask.evaluate) ----
const VT_PREFIX = new RegExp(`VAR${PY_SPACE}+`, 'gu');
const vtNormalize = (text: string): string => {
  const block = firstAnswerBlock(text);
  return pyCollapseSpace(pyStrip((block ?? text).toUpperCase())).replace(VT_PREFIX, '');
};

const vt: ReferenceScorer = ({ output, expected }) => {
  const pred = new Set(pySplit(vtNormalize(output)));
  const gold = new Set(pySplit(vtNormalize(expected.join(' '))));
  const score = iou(pred, gold, 1);
  return result('set-iou', score, `paper-reference VT: IoU ${score.toFixed(2)}`, pred.size === 0 ? { noAnswer: true } : {});
};

// ---- ruler/cwe (sparse_frontier/tasks/ruler/cwe.py, CommonWordTask.evaluate) ----
const CWE_LINE = new RegExp(`^${PY_DIGIT}+[.)\\-]?${PY_SPACE}*(${PY_DOT}+)$`, 'u');

const cwe: ReferenceScorer = ({ output, expected }) => {
  const block = firstAnswerBlock(output);
  if (block === null) return result('set-iou', 0, 'paper-reference CWE: no <answer> tag scores 0', { noAnswer: true });
  const pred = new Set<string>();
  for (const raw of pyStrip(block).split('\n')) {
    const line = pyStrip(raw);
    if (!line) continue;
    const m = CWE_LINE.exec(line);
    if (!m) continue;
    const word = pyStrip(m[1] as string).toLowerCase();
    if (word) pred.add(word);
  }
  // The reference's gold is the common words lowercased when the sample was made.
  const gold = new Set(expected.map((w) => w.toLowerCase()));
  const score = iou(pred, gold, 0);
  return result('set-iou', score, `paper-reference CWE: IoU ${score.toFixed(2)}`, pred.size === 0 ? { noAnswer: true } : {});
};

// ---- story/retrieval and story/multihop (sparse_frontier/tasks/story/{retrieval,multihop}.py) ----
const LEADING_ARTICLE = new RegExp(`^(?:the|a|an)${PY_SPACE}+`, 'u');
const storyNormalize = (text: string): string => pyCollapseSpace(pyStrip(text.toLowerCase())).replace(LEADING_ARTICLE, '');
const RETRIEVAL_LINE = new RegExp(`^(${PY_DIGIT}+)[.:)]${PY_SPACE}*(${PY_DOT}+?)${PY_SPACE}*$`, 'u');

function retrievalAnswers(text: string): Map<string, string> {
  const body = firstAnswerBlock(text) ?? text;
  const answers = new Map<string, string>();
  for (const line of body.split('\n')) {
    const m = RETRIEVAL_LINE.exec(pyStrip(line));
    if (!m) continue;
    const index = pyIntString(m[1] as string);
    if (!answers.has(index)) answers.set(index, storyNormalize(m[2] as string));
  }
  return answers;
}

const storyRetrieval: ReferenceScorer = ({ output, expected }) => {
  // The reference's gold answer is the text "1. a\n2. b\n...", parsed like a prediction.
  const gold = retrievalAnswers(expected.map((answer, i) => `${i + 1}. ${answer}`).join('\n'));
  const pred = retrievalAnswers(output);
  if (gold.size === 0) return result('numbered', 0, 'paper-reference story retrieval: no gold answers, sample dropped from the mean', { excluded: true, ...(pred.size === 0 ? { noAnswer: true } : {}) });
  let correct = 0;
  for (const [index, answer] of gold) if (pred.get(index) === answer) correct++;
  const score = correct / gold.size;
  return result('numbered', score, `paper-reference story retrieval: ${correct}/${gold.size} right`, pred.size === 0 ? { noAnswer: true } : {});
};

const multihop: ReferenceScorer = ({ output, expected }) => {
  const gold = storyNormalize(expected[0] ?? '');
  const block = firstAnswerBlock(output);
  const pred = block === null ? '' : storyNormalize(block);
  if (!gold || !pred) return result('exact', 0, 'paper-reference multi-hop: no answer, sample dropped from the mean', { noAnswer: true, excluded: true });
  return result('exact', pred === gold ? 1 : 0, pred === gold ? 'exact match' : `expected ${JSON.stringify(gold)}, got ${JSON.stringify(pred)}`);
};

// ---- story/filtering (sparse_frontier/tasks/story/filtering.py, FilteringTask.evaluate) ----
const NOT_DIGIT_COMMA_SPACE = new RegExp(`[^0-9,${PY_SPACE_CHARS}]`, 'gu');
const COMMA_SPACE_RUN = new RegExp(`[,${PY_SPACE_CHARS}]+`, 'u');
const CHAPTER_NUMBER = new RegExp(`${pyIgnoreCase('Chapter')}${PY_SPACE}+(${PY_DIGIT}+)`, 'gu');

function chapterNumbers(text: string): Set<string> {
  const parts = pyStrip(text).replace(NOT_DIGIT_COMMA_SPACE, '').split(COMMA_SPACE_RUN);
  return new Set(parts.filter((p) => pyStrip(p) !== '').map(pyIntString));
}

const filtering: ReferenceScorer = ({ output, expected }) => {
  // The reference's gold answer is the chapters joined by ", ", or "" when there are none.
  const goldText = pyStrip(expected.length === 1 && expected[0]?.toLowerCase() === 'none' ? '' : expected.join(', '));
  const pred = pyStrip(output);
  if (!pred || !goldText) {
    const why = !pred ? 'empty output' : 'no gold chapters';
    return result('set-iou', 0, `paper-reference filtering: ${why}, sample dropped from the mean`, { excluded: true, ...(!pred ? { noAnswer: true } : {}) });
  }
  const gold = chapterNumbers(goldText);
  const block = firstAnswerBlock(pred);
  let predSet = new Set<string>();
  if (block !== null) {
    const chapters = [...block.matchAll(CHAPTER_NUMBER)].map((m) => pyIntString(m[1] as string));
    predSet = chapters.length > 0 ? new Set(chapters) : chapterNumbers(block);
  }
  if (gold.size === 0 && predSet.size === 0) return result('set-iou', 1, 'paper-reference filtering: both empty');
  const score = iou(predSet, gold, 0);
  return result('set-iou', score, `paper-reference filtering: IoU ${score.toFixed(2)}`, block === null ? { noAnswer: true } : {});
};

// ---- QA (sparse_frontier/tasks/qa/qa_task.py QATask.evaluate, qa_utils.py) ----
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
const QA_STOP_WORDS = new RegExp(`${PY_BOUNDARY}(?:a|an|the|and|or|about|to)${PY_BOUNDARY}`, 'gu');

function qaNormalize(text: string): string {
  const lowered = (firstAnswerBlock(text, false) ?? text).toLowerCase();
  let kept = '';
  for (const ch of lowered) if (!PUNCTUATION.has(ch)) kept += ch;
  return pySplit(kept.replace(QA_STOP_WORDS, ' ')).join(' ');
}

function qaF1(prediction: string, gold: string): number {
  const p = new Set(pySplit(prediction));
  const g = new Set(pySplit(gold));
  let tp = 0;
  for (const t of p) if (g.has(t)) tp++;
  const precision = p.size > 0 ? tp / p.size : 0;
  const recall = g.size > 0 ? tp / g.size : 0;
  if (precision + recall === 0) return 0;
  return pyRound((2 * (precision * recall)) / (precision + recall), 2);
}

// extract_tagged_response: the first block's text stripped, or '' without one.
const taggedAnswer = (output: string): { text: string; found: boolean } => {
  const block = firstAnswerBlock(output, false);
  return block === null ? { text: '', found: false } : { text: pyStrip(block), found: true };
};

const squad: ReferenceScorer = ({ output, expected }) => {
  const answer = taggedAnswer(output);
  const pred = qaNormalize(answer.text);
  let best = -Infinity;
  for (const gold of expected) best = Math.max(best, qaF1(pred, qaNormalize(gold)));
  const score = Number.isFinite(best) ? best : 0;
  return result('token-f1', score, `paper-reference SQuAD: F1 ${score.toFixed(2)}`, answer.found ? {} : { noAnswer: true });
};

const QUESTION_PREFIX = new RegExp(`Question${PY_SPACE}*${PY_DIGIT}+\\.?${PY_SPACE}*`, 'gu');
const mcqNormalize = (text: string): string => {
  const body = (firstAnswerBlock(text, false) ?? text).replace(QUESTION_PREFIX, '');
  return [...body.toUpperCase().replace(/[^A-D]/g, '')].sort().join('');
};

const multipleChoice: ReferenceScorer = ({ output, expected }) => {
  const answer = taggedAnswer(output);
  const pred = mcqNormalize(answer.text);
  const gold = mcqNormalize(expected.join(''));
  return result('choice-set', pred === gold ? 1 : 0, `paper-reference multiple choice: expected ${gold}, got ${pred || 'nothing'}`, answer.found ? {} : { noAnswer: true });
};

/**
 * The paper's reference scorers by task id, each with the scorer its samples carry in the paper's
 * format (a sample of another format, e.g. `format: 'ruler'`, is not the paper's).
 */
export const paperReferenceScorers: Record<string, { scorer: string; evaluate: ReferenceScorer }> = {
  'ruler/niah': { scorer: 'numbered', evaluate: niah },
  'ruler/vt': { scorer: 'set-iou', evaluate: vt },
  'ruler/cwe': { scorer: 'set-iou', evaluate: cwe },
  'story/retrieval': { scorer: 'numbered', evaluate: storyRetrieval },
  'story/multihop': { scorer: 'exact', evaluate: multihop },
  'story/filtering': { scorer: 'set-iou', evaluate: filtering },
  'qa/squad': { scorer: 'token-f1', evaluate: squad },
  'qa/quality': { scorer: 'choice-set', evaluate: multipleChoice },
  'qa/toefl': { scorer: 'choice-set', evaluate: multipleChoice },
};

/** Which reference scores a sample under `compat: 'paper-reference'`. */
export type ReferenceName = 'sparse-frontier' | 'ruler' | 'none';

/**
 * The reference scorer of a sample: the paper's, by task id, for samples in the paper's format; the
 * paper's QA scoring for other `token-f1` / `choice-set` samples (e.g. `qa/synthetic`); RULER's
 * metric for `contains-all` / `contains-any` samples. Undefined when the sample has no reference
 * (its default scorer applies).
 * @example paperReferenceScorer('ruler/vt', 'set-iou') // the paper's VT evaluation
 * @example paperReferenceScorer('ruler/vt', 'contains-all') // RULER's string_match_all
 */
export function paperReferenceScorer(task: string, scorer: string): ReferenceScorer | undefined {
  return referenceOf(task, scorer).evaluate;
}

/**
 * The reference that scores a sample under `compat: 'paper-reference'`, and its scorer.
 * @example referenceOf('ruler/fwe', 'set-iou').reference // 'none'
 */
export function referenceOf(task: string, scorer: string): { reference: ReferenceName; evaluate?: ReferenceScorer } {
  const byTask = paperReferenceScorers[task];
  if (byTask && byTask.scorer === scorer) return { reference: 'sparse-frontier', evaluate: byTask.evaluate };
  if (scorer === 'token-f1') return { reference: 'sparse-frontier', evaluate: squad };
  if (scorer === 'choice-set') return { reference: 'sparse-frontier', evaluate: multipleChoice };
  if (scorer === 'contains-all') return { reference: 'ruler', evaluate: rulerScorer('contains-all', rulerStringMatchAll) };
  if (scorer === 'contains-any') return { reference: 'ruler', evaluate: rulerScorer('contains-any', rulerStringMatchPart) };
  getScorer(scorer); // an unknown name throws here as it does without compat
  return { reference: 'none' };
}

function rulerScorer(name: string, metric: (output: string, refs: readonly string[]) => { score: number; empty: boolean }): ReferenceScorer {
  return ({ output, expected }) => {
    const { score, empty } = metric(output, expected);
    return result(name, score, `RULER ${name === 'contains-all' ? 'string_match_all' : 'string_match_part'}: ${score}`, empty ? { noAnswer: true } : {});
  };
}
