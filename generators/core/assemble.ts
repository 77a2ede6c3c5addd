// Exact-length prompt assembly.
//
// A prompt is `head + context + tail`, where head and tail are the task's fixed text (wrapped in the
// chat template when one is applied) and the context is a sequence of units: filler (prose,
// noise sentences, distractors, list items) with fixed units (needles) placed at chosen depths.
// Every unit's token count is known (the tokenizer's piece cache makes this cheap), so the filler
// is planned to the exact budget; the whole prompt is then counted once with the exact fast
// counter, and any difference at unit boundaries is corrected by swapping filler at the end of the
// context. The result is exact by construction and by check: a prompt that cannot be made exact is
// an error, never a shorter prompt.
import type { Tokenizer } from '../tokenizers/types.js';
import { splitTemplate } from '../tokenizers/chat-template.js';
import type { NeedlePlacement } from './sample.js';
import { LengthError } from './task.js';
import { atLeastOneToken } from '../tokenizers/validate.js';

/** Where filler units come from. */
export interface FillerSource {
  /** The next filler unit, without a leading separator. */
  next(): string;
  /** Short units to close small gaps (optional). */
  shortUnits?: readonly string[];
}

/** A unit placed at a relative depth of the context (0 = start, 1 = end). */
export interface FixedUnit {
  body: string;
  depth: number;
}

export interface ExactPromptSpec {
  taskId: string;
  tokenizer: Tokenizer;
  chatTemplate: boolean;
  system?: string;
  /** User-message text before the context. */
  before: string;
  /** User-message text after the context. */
  after: string;
  /** Fixed units in context order; depths must be non-decreasing. */
  needles: readonly FixedUnit[];
  filler: FillerSource;
  /** Exact token count of the final prompt. */
  target: number;
  /** Separator between units unless the previous unit ends with a newline (default: a space). */
  separator?: string;
}

export interface ExactPrompt {
  /** The user message: before + context + after. */
  input: string;
  /** The prompt as counted (templated when chatTemplate). */
  rendered: string;
  /** Exact token count of `rendered` as the model sees it (equals the target). */
  tokens: number;
  /** Where each needle landed, in the order given. */
  needles: NeedlePlacement[];
  /** Number of filler units used. */
  fillerUnits: number;
  /** Character range of the context inside `input`. */
  contextStart: number;
  contextEnd: number;
}

interface Unit {
  body: string;
  tokens: number;
}

const MAX_CORRECTIONS = 12;

/** Counts a unit as it renders after a separator. */
function unitCounter(tokenizer: Tokenizer, separator: string): (body: string) => number {
  return (body) => tokenizer.count(separator + body);
}

/**
 * Units from `source` whose counts sum to exactly `gap`, or null when no combination was found
 * within the draw budget. Large gaps are filled greedily; the last stretch solves a small
 * coin-change problem over a pool of drawn candidates (fewest units first).
 */
export function fillExact(
  gap: number,
  source: FillerSource,
  countUnit: (body: string) => number,
  maxDraws = 2000,
): Unit[] | null {
  if (gap === 0) return [];
  if (gap < 0) return null;
  const out: Unit[] = [];
  const pool = new Map<number, string[]>();
  let maxSeen = 0;
  const remember = (body: string, tokens: number): void => {
    const list = pool.get(tokens);
    if (list) {
      if (list.length < 8 && !list.includes(body)) list.push(body);
    } else pool.set(tokens, [body]);
  };
  for (const body of source.shortUnits ?? []) remember(body, countUnit(body));
  const solve = (): Unit[] | null => {
    // Minimum number of units reaching each total, with the count used last.
    const best = new Array<number>(gap + 1).fill(Infinity);
    const via = new Array<number>(gap + 1).fill(0);
    best[0] = 0;
    const counts = [...pool.keys()].filter((c) => c > 0 && c <= gap).sort((a, b) => b - a);
    for (let total = 1; total <= gap; total++) {
      for (const c of counts) {
        const prev = best[total - c] as number;
        if (prev + 1 < (best[total] as number)) {
          best[total] = prev + 1;
          via[total] = c;
        }
      }
    }
    if (!Number.isFinite(best[gap] as number)) return null;
    const used = new Map<number, number>();
    const units: Unit[] = [];
    for (let total = gap; total > 0; total -= via[total] as number) {
      const c = via[total] as number;
      const bodies = pool.get(c) as string[];
      const k = used.get(c) ?? 0;
      used.set(c, k + 1);
      units.push({ body: bodies[k % bodies.length] as string, tokens: c });
    }
    return units;
  };
  for (let draws = 0; draws <= maxDraws; draws++) {
    if (gap <= 3 * maxSeen + 8 && draws % 8 === 0) {
      const units = solve();
      if (units) return [...out, ...units];
    }
    if (draws === maxDraws) break;
    const body = source.next();
    const tokens = countUnit(body);
    if (tokens <= 0) continue;
    maxSeen = Math.max(maxSeen, tokens);
    if (gap > 3 * maxSeen + 8 && tokens < gap) {
      out.push({ body, tokens });
      gap -= tokens;
      continue;
    }
    remember(body, tokens);
  }
  return null;
}

function joinUnits(units: readonly string[], separator: string): { text: string; starts: number[] } {
  // String += builds a rope in V8: linear, no intermediate array of millions of parts.
  const starts = new Array<number>(units.length);
  let text = '';
  let previous = '';
  for (let i = 0; i < units.length; i++) {
    const body = units[i] as string;
    if (i > 0 && !previous.endsWith('\n')) text += separator;
    starts[i] = text.length;
    text += body;
    previous = body;
  }
  return { text, starts };
}

/** The fixed text around a context and its token cost. */
export interface PromptFrameTokens {
  head: string;
  tail: string;
  /** Tokens the tokenizer adds to a raw prompt (0 under a chat template). */
  special: number;
  /** Tokens of head + tail + special. */
  overhead: number;
}

/**
 * Splits the (templated) prompt around the context and counts the fixed parts.
 * @throws Error when a chat template is requested but the tokenizer has none.
 */
export function promptFrame(
  tokenizer: Tokenizer,
  chatTemplate: boolean,
  system: string | undefined,
  before: string,
  after: string,
): PromptFrameTokens {
  let frame = { head: before, tail: after };
  if (chatTemplate) {
    if (!tokenizer.chatTemplate) {
      throw new Error(`Tokenizer ${tokenizer.id} has no chat template; generate without one (--no-chat-template).`);
    }
    frame = splitTemplate(tokenizer.chatTemplate, system, before, after);
  }
  const special = chatTemplate ? 0 : tokenizer.addedSpecialTokens;
  return { ...frame, special, overhead: tokenizer.count(frame.head) + tokenizer.count(frame.tail) + special };
}

/**
 * Builds a prompt of exactly `spec.target` tokens.
 * @throws LengthError when the fixed parts alone exceed the target, or the rest cannot be filled
 *   (including a count no arrangement of filler units reaches exactly).
 * @example
 * const prompt = assembleExact({ taskId: 'demo', tokenizer, chatTemplate: false, before: 'Read.\n',
 *   after: '\nAnswer.', needles: [{ body: 'The key is 7.', depth: 0.5 }], filler, target: 1000 });
 * prompt.tokens // 1000
 */
export function assembleExact(spec: ExactPromptSpec): ExactPrompt {
  const { tokenizer, target } = spec;
  const separator = spec.separator ?? ' ';
  const { head, tail, special, overhead } = promptFrame(tokenizer, spec.chatTemplate, spec.system, spec.before, spec.after);
  const frame = { head, tail };
  const countUnit = unitCounter(tokenizer, separator);
  const needleTokens = spec.needles.reduce((sum, n) => sum + countUnit(n.body), 0);
  const fixed = overhead + needleTokens;
  const budget = target - fixed;
  if (budget < 0) throw new LengthError(spec.taskId, target, fixed);

  // Plan filler to the exact budget.
  const filler: Unit[] = [];
  let planned = 0;
  const margin = 256;
  while (budget - planned > margin) {
    const body = spec.filler.next();
    const tokens = atLeastOneToken(countUnit(body), body, spec.taskId);
    filler.push({ body, tokens });
    planned += tokens;
  }
  const closing = fillExact(budget - planned, spec.filler, countUnit);
  if (closing === null) throw new LengthError(spec.taskId, target, fixed + 8);
  filler.push(...closing);

  // Needles go after the filler unit where the cumulative filler reaches their depth.
  const placeNeedles = (): number[] => {
    const total = filler.reduce((sum, u) => sum + u.tokens, 0);
    const positions: number[] = [];
    let cumulative = 0;
    let k = 0;
    for (const needle of spec.needles) {
      const wanted = Math.min(1, Math.max(0, needle.depth)) * total;
      while (k < filler.length && cumulative + (filler[k] as Unit).tokens / 2 < wanted) {
        cumulative += (filler[k] as Unit).tokens;
        k++;
      }
      positions.push(k);
    }
    return positions;
  };
  let needleAfter = placeNeedles();

  /** The prompt built from `units` with needle n placed before units[after[n]], counted exactly. */
  const render = (units: readonly Unit[], after: readonly number[]): Rendered => {
    const bodies: string[] = [];
    const needleUnitIndex: number[] = [];
    let n = 0;
    for (let k = 0; k <= units.length; k++) {
      while (n < spec.needles.length && (after[n] as number) === k) {
        needleUnitIndex.push(bodies.length);
        bodies.push((spec.needles[n] as FixedUnit).body);
        n++;
      }
      if (k < units.length) bodies.push((units[k] as Unit).body);
    }
    const { text: context, starts } = joinUnits(bodies, separator);
    const rendered = frame.head + context + frame.tail;
    const marks: number[] = [];
    for (const u of needleUnitIndex) {
      // Mark from the separator: byte-level BPE attaches a leading space to the next word, so the
      // needle's first token starts there.
      const start = frame.head.length + (starts[u] as number);
      const separated = u > 0 && !(bodies[u - 1] as string).endsWith('\n');
      marks.push(separated ? start - separator.length : start, start + (bodies[u] as string).length);
    }
    marks.push(frame.head.length, frame.head.length + context.length);
    const { count, offsets } = tokenizer.countWithOffsets(rendered, marks);
    return { bodies, needleUnitIndex, context, starts, rendered, marks, offsets, tokens: count + special, fillerUnits: units.length };
  };

  const finish = (r: Rendered): ExactPrompt => {
    const { bodies, needleUnitIndex, context, starts, marks, offsets } = r;
    const contextFirst = offsets[marks.length - 2] as number;
    const contextLast = offsets[marks.length - 1] as number;
    const span = Math.max(1, contextLast - contextFirst);
    const needles: NeedlePlacement[] = needleUnitIndex.map((u, i) => {
      const startTok = offsets[2 * i] as number;
      const endTok = offsets[2 * i + 1] as number;
      return {
        text: bodies[u] as string,
        tokenOffset: startTok + special,
        tokenCount: Math.max(1, endTok - startTok),
        depth: Math.round(((startTok - contextFirst) / span) * 1e4) / 1e4,
        charOffset: spec.before.length + (starts[u] as number),
      };
    });
    return {
      input: spec.before + context + spec.after,
      rendered: r.rendered,
      tokens: r.tokens,
      needles,
      fillerUnits: r.fillerUnits,
      contextStart: spec.before.length,
      contextEnd: spec.before.length + context.length,
    };
  };

  let delta = 0;
  for (let attempt = 0; ; attempt++) {
    const r = render(filler, needleAfter);
    delta = target - r.tokens;
    if (delta === 0) return finish(r);
    if (attempt >= MAX_CORRECTIONS) break;
    // Correct at the end of the context: drop trailing filler until the gap is comfortably
    // positive, then close it exactly.
    let gap = delta;
    while ((gap < 16 || gap < 0) && filler.length > 0) {
      gap += (filler.pop() as Unit).tokens;
    }
    const fix = fillExact(gap, spec.filler, countUnit);
    if (fix === null) throw new LengthError(spec.taskId, target, fixed + 8);
    filler.push(...fix);
    needleAfter = needleAfter.map((k) => Math.min(k, filler.length));
    if (attempt === 0) needleAfter = placeNeedles();
  }

  // The corrections above plan with each unit's count after a separator, which is wrong where a
  // unit renders without one (first in the context, after a newline) or merges across a boundary;
  // there they can swap between the same two units forever. Close the gap by measured counts.
  const closed = closeByMeasure(filler, needleAfter, spec.filler, countUnit, target, (units, after) => render(units, after).tokens);
  if (closed) return finish(render(closed.units, closed.after));
  throw new LengthError(
    spec.taskId,
    target,
    target + 1,
    `${spec.taskId}: no arrangement of filler tried reaches exactly ${target} tokens (off by ${delta} after ` +
      `${MAX_CORRECTIONS} corrections and a measured search at the context's boundaries); try a neighbouring length.`,
  );
}

interface Rendered {
  bodies: string[];
  needleUnitIndex: number[];
  context: string;
  starts: number[];
  rendered: string;
  marks: number[];
  offsets: number[];
  tokens: number;
  fillerUnits: number;
}

/** Extra filler units drawn as replacement candidates when closing by measured counts. */
const MEASURED_DRAWS = 16;

/**
 * Closes the last gap of a prompt by measuring whole-prompt counts instead of trusting per-unit
 * counts: at a few boundary slots (the last filler unit, the end of the context, the first filler
 * unit) it replaces, deletes or inserts one candidate unit, measures, and when tokens are still
 * missing appends units planned with `fillExact` right after it and measures again. Returns the
 * first arrangement that counts exactly `target`, or null when none of them does.
 */
function closeByMeasure(
  filler: readonly Unit[],
  needleAfter: readonly number[],
  source: FillerSource,
  countUnit: (body: string) => number,
  target: number,
  measure: (units: readonly Unit[], after: readonly number[]) => number,
): { units: Unit[]; after: number[] } | null {
  const pool: string[] = [];
  const offer = (body: string): void => {
    // A unit ending in a newline drops the separator of the next one, so its follow-up would be
    // miscounted again.
    if (body.length > 0 && !body.endsWith('\n') && !pool.includes(body)) pool.push(body);
  };
  for (const body of source.shortUnits ?? []) offer(body);
  for (let i = 0; i < MEASURED_DRAWS; i++) offer(source.next());

  const length = filler.length;
  const slots: { at: number; replace: boolean }[] = [];
  for (const slot of [
    { at: length - 1, replace: true },
    { at: length, replace: false },
    { at: 0, replace: true },
    { at: 0, replace: false },
  ]) {
    if (slot.at < 0 || (slot.replace && slot.at >= length)) continue;
    if (!slots.some((s) => s.at === slot.at && s.replace === slot.replace)) slots.push(slot);
  }

  for (const { at, replace } of slots) {
    // null: delete the unit at the slot (replace) or keep the context as it is (insert).
    const candidates: (string | null)[] = [null, ...pool];
    for (const body of candidates) {
      const units = filler.slice();
      let after = needleAfter.slice();
      let next: number;
      if (body === null) {
        if (replace) {
          units.splice(at, 1);
          after = after.map((k) => (k > at ? k - 1 : k));
        }
        next = at;
      } else if (replace) {
        units[at] = { body, tokens: countUnit(body) };
        next = at + 1;
      } else {
        units.splice(at, 0, { body, tokens: countUnit(body) });
        after = after.map((k) => (k > at ? k + 1 : k));
        next = at + 1;
      }
      const gap = target - measure(units, after);
      if (gap === 0) return { units, after };
      if (gap < 0) continue;
      const rest = fillExact(gap, source, countUnit);
      if (rest === null || rest.length === 0) continue;
      units.splice(next, 0, ...rest);
      after = after.map((k) => (k >= next ? k + rest.length : k));
      if (measure(units, after) === target) return { units, after };
    }
  }
  return null;
}
