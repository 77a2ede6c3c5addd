// The task registry: one literal map that is the list of valid ids, the lookup table and what
// `longweave tasks` prints.
import type { TaskDefinition } from '../core/task.js';
import { rulerNiah } from './ruler-niah.js';
import { rulerVt } from './ruler-vt.js';
import { rulerCwe } from './ruler-cwe.js';
import { rulerFwe } from './ruler-fwe.js';
import { storyRetrieval } from './story-retrieval.js';
import { storyMultihop } from './story-multihop.js';
import { storyFiltering } from './story-filtering.js';
import { qaSquad } from './qa-squad.js';
import { qaQuality } from './qa-quality.js';
import { qaToefl } from './qa-toefl.js';
import { qaSynthetic } from './qa-synthetic.js';

export const TASKS = {
  'ruler/niah': rulerNiah,
  'ruler/vt': rulerVt,
  'ruler/cwe': rulerCwe,
  'ruler/fwe': rulerFwe,
  'story/retrieval': storyRetrieval,
  'story/multihop': storyMultihop,
  'story/filtering': storyFiltering,
  'qa/squad': qaSquad,
  'qa/quality': qaQuality,
  'qa/toefl': qaToefl,
  'qa/synthetic': qaSynthetic,
} satisfies Record<string, TaskDefinition<never>>;

export type TaskId = keyof typeof TASKS;

/** All task ids, in catalogue order. */
export const TASK_IDS = Object.keys(TASKS) as TaskId[];

/**
 * Looks a task up by id.
 * @throws Error naming the known ids.
 */
export function getTask(id: string): TaskDefinition<Record<string, unknown>> {
  const task = (TASKS as Record<string, unknown>)[id];
  if (!task) throw new Error(`Unknown task "${id}": known tasks are ${TASK_IDS.join(', ')}.`);
  return task as TaskDefinition<Record<string, unknown>>;
}
