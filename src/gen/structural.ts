/**
 * Conversion of the JSON Schema that zod emits into a Kubernetes structural OpenAPI v3
 * schema: every node typed, no $ref or type unions, maps as `additionalProperties`,
 * OpenAPI 3.0 exclusive bounds, int32/int64 formats, and a description on every field.
 */

/** JsonSchema is one node of a JSON Schema document as zod emits it. */
export type JsonSchema = { [key: string]: unknown };

/** StructuralSchema is one node of a Kubernetes structural schema (JSONSchemaProps). */
export type StructuralSchema = { [key: string]: unknown };

const INT32_MAX = 2 ** 31 - 1;
const SAFE = Number.MAX_SAFE_INTEGER;

// Output key order: fixed, so the generated YAML is stable and reads top-down.
const ORDER = [
  'description',
  'type',
  'format',
  'enum',
  'default',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'required',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-validations',
  'items',
  'additionalProperties',
  'properties',
] as const;

// Keys zod emits that carry no meaning for a structural schema.
const DROPPED = new Set(['$schema', 'propertyNames', 'id', 'title']);

/** StructuralSchemaError is thrown when a zod schema has no structural equivalent. */
export class StructuralSchemaError extends Error {
  override readonly name = 'StructuralSchemaError';
  readonly code = 'SKIFF_GEN_NOT_STRUCTURAL';
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path || '(root)'}: ${message}`);
    this.path = path;
  }
}

/**
 * toStructural converts one zod-emitted JSON Schema node (and its children) into a
 * structural schema. `path` names the node in errors, e.g. `spec.components[].name`.
 */
export function toStructural(node: JsonSchema, path = ''): StructuralSchema {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED.has(key)) continue;
    switch (key) {
      case 'anyOf':
      case 'oneOf':
      case 'allOf':
      case '$ref':
      case 'not':
        throw new StructuralSchemaError(path, `"${key}" is not structural; use one object type with CEL rules instead`);
      case 'const':
        out.enum = [value];
        break;
      case 'properties': {
        const props: Record<string, StructuralSchema> = {};
        for (const [name, child] of Object.entries(value as Record<string, JsonSchema>)) {
          props[name] = toStructural(child, path ? `${path}.${name}` : name);
        }
        // The API server drops an empty `properties` (same pruning without it): emitting it
        // would make the stored CRD differ from every apply, so a second field manager
        // applying the same file (kubectl after helm, say) gets a conflict on spec.versions.
        if (Object.keys(props).length > 0) out.properties = props;
        break;
      }
      case 'items':
        if (Array.isArray(value)) throw new StructuralSchemaError(path, 'tuple items are not structural');
        out.items = toStructural(value as JsonSchema, `${path}[]`);
        break;
      case 'additionalProperties':
        // `false` comes from .strict(): the API server prunes or (with fieldValidation=Strict)
        // rejects unknown fields by itself, and forbids additionalProperties beside properties.
        if (value === false) break;
        if (value === true)
          throw new StructuralSchemaError(path, 'open objects need x-kubernetes-preserve-unknown-fields');
        out.additionalProperties = toStructural(value as JsonSchema, `${path}{}`);
        break;
      case 'exclusiveMinimum':
        out.minimum = value;
        out.exclusiveMinimum = true;
        break;
      case 'exclusiveMaximum':
        out.maximum = value;
        out.exclusiveMaximum = true;
        break;
      default:
        if (!(ORDER as readonly string[]).includes(key)) {
          throw new StructuralSchemaError(path, `unsupported JSON Schema keyword "${key}"`);
        }
        out[key] = value;
    }
  }
  if (typeof out.type !== 'string' && out['x-kubernetes-int-or-string'] !== true) {
    throw new StructuralSchemaError(path, 'every node needs a single type');
  }
  if (out.type === 'integer') {
    if (out.minimum === -SAFE) delete out.minimum;
    if (out.maximum === SAFE) delete out.maximum;
    const min = typeof out.minimum === 'number' ? out.minimum : -Infinity;
    const max = typeof out.maximum === 'number' ? out.maximum : Infinity;
    out.format ??= min >= -INT32_MAX - 1 && max <= INT32_MAX ? 'int32' : 'int64';
  }
  if (out.type === 'object' && out.properties && out.additionalProperties) {
    throw new StructuralSchemaError(path, 'an object has either properties or additionalProperties');
  }
  return ordered(out);
}

function ordered(node: Record<string, unknown>): StructuralSchema {
  const out: Record<string, unknown> = {};
  for (const key of ORDER) if (key in node) out[key] = node[key];
  return out;
}

/**
 * missingDescriptions lists the paths of fields (properties, map values and array items
 * of objects are exempt) that have no description, so `kubectl explain` reads well.
 */
export function missingDescriptions(schema: StructuralSchema, path = ''): string[] {
  const missing: string[] = [];
  const props = schema.properties as Record<string, StructuralSchema> | undefined;
  for (const [name, child] of Object.entries(props ?? {})) {
    const childPath = path ? `${path}.${name}` : name;
    if (typeof child.description !== 'string' || child.description.trim() === '') missing.push(childPath);
    missing.push(...missingDescriptions(child, childPath));
  }
  if (schema.items) missing.push(...missingDescriptions(schema.items as StructuralSchema, `${path}[]`));
  if (typeof schema.additionalProperties === 'object') {
    missing.push(...missingDescriptions(schema.additionalProperties as StructuralSchema, `${path}{}`));
  }
  return missing;
}
