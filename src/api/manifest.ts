/**
 * Parsing of manifests (YAML or JSON) into typed resources, with errors that name the field.
 */
import type { z } from 'zod';
import { workloadSchema, type Workload } from './workload.js';

/** ManifestError is thrown for a manifest that does not match its schema; `issues` name each field. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  readonly code = 'SKIFF_INVALID_MANIFEST';
  readonly issues: readonly { path: string; message: string }[];
  constructor(source: string, issues: { path: string; message: string }[]) {
    super(`invalid ${source}:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.issues = issues;
  }
}

/** formatPath renders a zod issue path the way kubectl does: `spec.components[0].name`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(root)';
}

/** parseWith validates `value` with `schema`, throwing a ManifestError that names every bad field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, source: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ManifestError(
    source,
    result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
  );
}

/** parseWorkload validates a Workload object (already decoded from YAML or JSON). */
export function parseWorkload(value: unknown, source = 'Workload'): Workload {
  return parseWith(workloadSchema, value, source);
}
