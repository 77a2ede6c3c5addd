// Task parameters: defaults applied, then checked against each parameter's JSON Schema (ajv) and
// the task's cross-field rules. Errors name the parameter path and what is allowed.
import { Ajv, type ValidateFunction } from 'ajv';
import type { TaskDefinition } from './core/task.js';

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new WeakMap<object, ValidateFunction>();

/** Thrown for a parameter a task does not accept. */
export class ParamError extends Error {
  constructor(
    readonly task: string,
    readonly path: string,
    message: string,
  ) {
    super(`${task}: params${path.replace(/\//g, '.')} ${message}`);
    this.name = 'ParamError';
  }
}

function validatorOf(task: TaskDefinition<Record<string, unknown>>): ValidateFunction {
  let fn = compiled.get(task);
  if (!fn) {
    const properties = Object.fromEntries(Object.entries(task.params).map(([k, spec]) => [k, spec.schema]));
    fn = ajv.compile({ type: 'object', properties, additionalProperties: false });
    compiled.set(task, fn);
  }
  return fn;
}

/** The task's default parameters. */
export function defaultParams(task: TaskDefinition<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(task.params).map(([k, spec]) => [k, structuredClone(spec.default)]));
}

/**
 * Applies defaults and validates.
 * @throws ParamError naming the parameter, e.g. `ruler/niah: params.keys must be <= 64`.
 */
export function resolveParams(task: TaskDefinition<Record<string, unknown>>, given: Record<string, unknown> = {}): Record<string, unknown> {
  const params = { ...defaultParams(task), ...given };
  const fn = validatorOf(task);
  if (!fn(params)) {
    // A union (anyOf) failure is reported once, with the parameter's own description of what it accepts.
    const union = fn.errors?.find((e) => e.keyword === 'anyOf');
    const error = union ?? fn.errors?.[0];
    if (error?.keyword === 'additionalProperties') {
      const name = (error.params as { additionalProperty: string }).additionalProperty;
      throw new ParamError(task.id, `/${name}`, `is not a parameter of ${task.id}; known: ${Object.keys(task.params).join(', ')}`);
    }
    let message = error?.message ?? 'is invalid';
    if (error?.keyword === 'enum') message = `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    if (error?.keyword === 'anyOf') {
      const name = error.instancePath.slice(1).split('/')[0] ?? '';
      message = `is not valid: ${task.params[name]?.description ?? 'see longweave tasks'}`;
    }
    throw new ParamError(task.id, error?.instancePath ?? '', message);
  }
  const problem = task.check?.(params);
  if (problem) throw new ParamError(task.id, problem.path, problem.message);
  return params;
}
