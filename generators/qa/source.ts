// User-provided QA sources: the three formats the paper's QA tasks read, loaded from the path given
// as `--source TASK=PATH` (or `sources` in a suite recipe), parsed once per process and file
// version, and turned into one shape: unique contexts and questions pointing at them.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

/** One question of a source, in the shape every QA task uses. */
export interface SourceQuestion {
  /** Index into `contexts`. */
  context: number;
  question: string;
  /** Gold answers: answer texts (open questions) or one letter string such as `B` or `AC`. */
  answers: string[];
  /** True for SQuAD v2's unanswerable questions. */
  unanswerable: boolean;
}

export interface QaSource {
  path: string;
  /** sha256 of the file's bytes. */
  sha256: string;
  contexts: string[];
  questions: SourceQuestion[];
}

export type SourceFormat = 'squad' | 'mcq-jsonl';

/** What each task needs, for error messages and `longweave tasks`. */
export const SOURCE_HELP: Record<string, { format: SourceFormat; help: string }> = {
  'qa/squad': {
    format: 'squad',
    help: 'a SQuAD v2.0 JSON file (e.g. dev-v2.0.json from the SQuAD site): {"data": [{"paragraphs": [{"context": "...", "qas": [{"question": "...", "answers": [{"text": "..."}], "is_impossible": false}]}]}]}',
  },
  'qa/quality': {
    format: 'mcq-jsonl',
    help: 'a QuALITY file converted to JSON Lines, one story per line: {"context": "...", "questions": ["... Options: A. ... B. ... C. ... D. ...", ...], "answer": ["B", ...]}',
  },
  'qa/toefl': {
    format: 'mcq-jsonl',
    help: 'a TOEFL-QA file in JSON Lines, one passage per line: {"context": "...", "questions": ["Question: ... Options: A. ... B. ...", ...], "answer": ["D", "AC", ...]}',
  },
};

/** A source file that is missing, unreadable or not in the expected format. */
export class SourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceError';
  }
}

/**
 * The path of a task's source, or an error saying which file and format the task needs.
 * @throws SourceError when no source was given.
 */
export function sourcePath(taskId: string, sources: Record<string, string> | undefined): string {
  const path = sources?.[taskId];
  if (path) return path;
  const need = SOURCE_HELP[taskId];
  throw new SourceError(
    `${taskId} reads the user's own data, and no source file was given. It needs ${need?.help ?? 'a source file'}. ` +
      `Pass it with --source ${taskId}=PATH, or add "sources": {"${taskId}": "PATH"} to the suite recipe.`,
  );
}

function fail(path: string, where: string, message: string): never {
  throw new SourceError(`${path}: ${where} ${message}`);
}

function parseSquad(path: string, data: unknown): Omit<QaSource, 'path' | 'sha256'> {
  const articles = (data as { data?: unknown })?.data;
  if (!Array.isArray(articles)) fail(path, 'data', 'must be an array of articles (SQuAD v2.0 JSON: {"data": [{"paragraphs": [...]}]}).');
  const contexts: string[] = [];
  const index = new Map<string, number>();
  const questions: SourceQuestion[] = [];
  const seen = new Set<string>();
  articles.forEach((article: unknown, a) => {
    const paragraphs = (article as { paragraphs?: unknown })?.paragraphs;
    if (!Array.isArray(paragraphs)) fail(path, `data[${a}].paragraphs`, 'must be an array.');
    paragraphs.forEach((paragraph: unknown, p) => {
      const where = `data[${a}].paragraphs[${p}]`;
      const { context, qas } = (paragraph ?? {}) as { context?: unknown; qas?: unknown };
      if (typeof context !== 'string' || !context.trim()) fail(path, `${where}.context`, 'must be a non-empty string.');
      if (!Array.isArray(qas)) fail(path, `${where}.qas`, 'must be an array.');
      let c = index.get(context);
      if (c === undefined) {
        c = contexts.length;
        contexts.push(context);
        index.set(context, c);
      }
      qas.forEach((qa: unknown, q) => {
        const { question, answers, is_impossible: impossible } = (qa ?? {}) as { question?: unknown; answers?: unknown; is_impossible?: unknown };
        if (typeof question !== 'string' || !question.trim()) fail(path, `${where}.qas[${q}].question`, 'must be a non-empty string.');
        if (!Array.isArray(answers)) fail(path, `${where}.qas[${q}].answers`, 'must be an array of {"text": "..."}.');
        const texts = [...new Set(answers.map((x: unknown, k) => {
          const text = (x as { text?: unknown })?.text;
          if (typeof text !== 'string') fail(path, `${where}.qas[${q}].answers[${k}].text`, 'must be a string.');
          return text.trim();
        }).filter(Boolean))];
        const unanswerable = impossible === true;
        if (!unanswerable && texts.length === 0) fail(path, `${where}.qas[${q}].answers`, 'is empty for an answerable question (is_impossible is not true).');
        const key = `${c}\u0000${question.trim().toLowerCase()}`;
        if (seen.has(key)) return;
        seen.add(key);
        questions.push({ context: c, question: question.trim(), answers: unanswerable ? ['none'] : texts, unanswerable });
      });
    });
  });
  return { contexts, questions };
}

function parseMcqJsonl(path: string, text: string, stripPrefix: boolean): Omit<QaSource, 'path' | 'sha256'> {
  const contexts: string[] = [];
  const index = new Map<string, number>();
  const questions: SourceQuestion[] = [];
  const seen = new Set<string>();
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const where = `line ${i + 1}`;
    let row: { context?: unknown; questions?: unknown; answer?: unknown };
    try {
      row = JSON.parse(line) as typeof row;
    } catch (error) {
      fail(path, where, `is not valid JSON (${(error as Error).message}).`);
    }
    const { context, questions: qs, answer } = row ?? {};
    if (typeof context !== 'string' || !context.trim()) fail(path, `${where}: context`, 'must be a non-empty string.');
    if (!Array.isArray(qs) || !qs.every((q) => typeof q === 'string')) fail(path, `${where}: questions`, 'must be an array of strings.');
    if (!Array.isArray(answer) || answer.length !== qs.length) fail(path, `${where}: answer`, `must be an array of ${Array.isArray(qs) ? qs.length : 'as many'} letter strings, one per question.`);
    let c = index.get(context);
    if (c === undefined) {
      c = contexts.length;
      contexts.push(context);
      index.set(context, c);
    }
    qs.forEach((raw: string, q) => {
      const letters = answer[q];
      if (typeof letters !== 'string' || !/^[A-Z]+$/.test(letters.trim())) fail(path, `${where}: answer[${q}]`, `must be option letters such as "B" or "AC", got ${JSON.stringify(letters)}.`);
      let question = raw.trim();
      if (stripPrefix && question.startsWith('Question: ')) question = question.slice('Question: '.length);
      const key = `${c}\u0000${question.toLowerCase()}`;
      if (seen.has(key)) return;
      seen.add(key);
      questions.push({ context: c as number, question, answers: [letters.trim()], unanswerable: false });
    });
  });
  return { contexts, questions };
}

const cache = new Map<string, { key: string; source: QaSource }>();

/**
 * Loads and parses a task's source file, cached per path and file version.
 * @throws SourceError naming the file and the field that is wrong, or the format needed.
 * @example loadSource('qa/squad', { 'qa/squad': 'dev-v2.0.json' }).questions.length
 */
export function loadSource(taskId: string, sources: Record<string, string> | undefined): QaSource {
  const path = sourcePath(taskId, sources);
  const format = SOURCE_HELP[taskId]?.format;
  if (!format) throw new SourceError(`${taskId} does not read a source file.`);
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new SourceError(`${taskId}: source file ${path} does not exist. It needs ${SOURCE_HELP[taskId]?.help}.`);
  }
  const key = `${taskId}\u0000${stat.size}\u0000${stat.mtimeMs}`;
  const hit = cache.get(path);
  if (hit && hit.key === key) return hit.source;
  const bytes = readFileSync(path);
  const text = bytes.toString('utf8');
  let parsed: Omit<QaSource, 'path' | 'sha256'>;
  if (format === 'squad') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new SourceError(`${path}: not valid JSON (${(error as Error).message}); ${taskId} needs ${SOURCE_HELP[taskId]?.help}.`);
    }
    parsed = parseSquad(path, data);
  } else {
    parsed = parseMcqJsonl(path, text, taskId === 'qa/toefl');
  }
  if (parsed.questions.length === 0) throw new SourceError(`${path}: no questions found; ${taskId} needs ${SOURCE_HELP[taskId]?.help}.`);
  if (parsed.contexts.length < 2) throw new SourceError(`${path}: only one document; ${taskId} needs at least two (the others are the distractors).`);
  const source: QaSource = { path, sha256: createHash('sha256').update(bytes).digest('hex'), ...parsed };
  cache.set(path, { key, source });
  return source;
}
