// Schemas for every file the package reads or writes, compiled once with ajv. Validation errors
// name the file, the line, the JSON path and the rule that failed.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/** Schema names: `schemas/<name>.schema.json`. */
export const SCHEMA_NAMES = ['sample', 'manifest', 'suite', 'prediction', 'result', 'summary', 'run-recipe'] as const;
export type SchemaName = (typeof SCHEMA_NAMES)[number];

// Schema JSON files live beside this module's source; from dist/schemas/ they are two levels up.
function schemaDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [here, join(here, '..', '..', 'schemas')]) {
    try {
      readFileSync(join(candidate, 'sample.schema.json'));
      return candidate;
    } catch {
      // try the next location
    }
  }
  throw new Error(`Cannot find the schemas folder next to ${here}.`);
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validators = new Map<SchemaName, ValidateFunction>();

/** The compiled validator for one schema (compiled on first use). */
export function validatorFor(name: SchemaName): ValidateFunction {
  let validate = validators.get(name);
  if (!validate) {
    const file = join(schemaDir(), `${name}.schema.json`);
    let schema: object;
    try {
      schema = JSON.parse(readFileSync(file, 'utf8')) as object;
    } catch (error) {
      throw new Error(`Schema "${name}" is missing or invalid at ${file}: ${(error as Error).message}`);
    }
    validate = ajv.compile(schema);
    validators.set(name, validate);
  }
  return validate;
}

/** One failed rule, located. */
export interface ValidationIssue {
  /** JSON pointer into the object, e.g. `/tasks/2/params/depth`. */
  path: string;
  /** The rule that failed, e.g. `minimum`, `required`. */
  rule: string;
  message: string;
}

/** Thrown when data does not match its schema. */
export class SchemaError extends Error {
  constructor(
    readonly schema: SchemaName,
    readonly issues: ValidationIssue[],
    readonly where: string,
  ) {
    const first = issues[0];
    const rest = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(`${where}: ${first ? `${first.path || '/'} ${first.message} [${first.rule}]` : 'invalid'}${rest}`);
    this.name = 'SchemaError';
  }
}

function toIssues(errors: ErrorObject[] | null | undefined): ValidationIssue[] {
  return (errors ?? []).map((e) => {
    let path = e.instancePath;
    if (e.keyword === 'required') path = `${path}/${(e.params as { missingProperty: string }).missingProperty}`;
    if (e.keyword === 'additionalProperties') path = `${path}/${(e.params as { additionalProperty: string }).additionalProperty}`;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'enum') message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    if (e.keyword === 'additionalProperties') message = 'is not an allowed field';
    if (e.keyword === 'required') message = 'is required';
    return { path, rule: e.keyword, message };
  });
}

/**
 * Validates `data` against a schema; returns the issues (empty when valid).
 * @example validate('sample', JSON.parse(line)) // []
 */
export function validate(name: SchemaName, data: unknown): ValidationIssue[] {
  const fn = validatorFor(name);
  return fn(data) ? [] : toIssues(fn.errors);
}

/**
 * Validates and throws a {@link SchemaError} naming `where` (file and line) on failure.
 * @throws SchemaError
 */
export function assertValid<T>(name: SchemaName, data: unknown, where: string): T {
  const issues = validate(name, data);
  if (issues.length > 0) throw new SchemaError(name, issues, where);
  return data as T;
}
