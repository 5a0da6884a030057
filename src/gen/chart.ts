/**
 * The generated files of the Helm chart `charts/skiff`: its CRDs (the same objects as
 * `crds/`) and `values.schema.json` from the zod schema of its values. Pure.
 */
import { z } from 'zod';
import { chartValuesSchema } from '../api/values.js';
import type { CrdObject } from './crds.js';

/** CHART_DIR is the chart's folder, relative to the repository root. */
export const CHART_DIR = 'charts/skiff';

/** chartCrdFileName is the path of one CRD in the chart's `crds/` folder (installed by `helm install`). */
export function chartCrdFileName(crd: CrdObject): string {
  return `${CHART_DIR}/crds/${crd.metadata.name}.yaml`;
}

/** VALUES_SCHEMA_FILE is the path of the chart's generated values schema. */
export const VALUES_SCHEMA_FILE = `${CHART_DIR}/values.schema.json`;

const SAFE = Number.MAX_SAFE_INTEGER;

// zod writes ±MAX_SAFE_INTEGER as the bounds of every integer: noise for a reader.
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if ((key === 'maximum' && value === SAFE) || (key === 'minimum' && value === -SAFE)) continue;
    out[key] = tidy(value);
  }
  return out;
}

/**
 * valuesJsonSchema is the chart's values schema (JSON Schema draft 7, which every Helm 3
 * validates): every key required (values.yaml sets them all) and unknown keys refused, so a
 * misspelt key fails `helm install` with its name.
 */
export function valuesJsonSchema(): Record<string, unknown> {
  const json = z.toJSONSchema(chartValuesSchema, { target: 'draft-7', io: 'input', unrepresentable: 'throw' });
  return { ...(tidy(json) as Record<string, unknown>), title: 'Values of the Skiff Helm chart' };
}

/** renderValuesSchema serialises the values schema as committed (two-space JSON, final newline). */
export function renderValuesSchema(): string {
  return `${JSON.stringify(valuesJsonSchema(), null, 2)}\n`;
}
