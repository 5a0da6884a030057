/**
 * CRD generation is deterministic and the committed crds/ match the schemas; the
 * structural conversion refuses what Kubernetes would refuse.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { run } from '../../src/cli/gen.js';
import {
  generateCrds,
  missingDescriptions,
  renderFiles,
  StructuralSchemaError,
  toStructural,
  valuesJsonSchema,
} from '../../src/gen/index.js';
import { ROOT } from './cluster.js';

describe('skiff gen', () => {
  it('--check passes: the committed crds/ are what the schemas generate', async () => {
    expect(await run(['--check', '--root', ROOT])).toBe(0);
  });

  it('is deterministic', () => {
    expect([...renderFiles()]).toEqual([...renderFiles()]);
  });

  it('--check fails and names the file when a generated file is stale', async () => {
    const { mkdtemp, writeFile, mkdir } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'skiff-gen-'));
    await mkdir(join(dir, 'crds'));
    await writeFile(join(dir, 'crds', 'old.yaml'), 'stale\n');
    expect(await run(['--check', '--root', dir])).toBe(1);
    expect(await run(['--root', dir])).toBe(0);
    expect(await run(['--check', '--root', dir])).toBe(0);
  });

  it('gives every field a description', () => {
    for (const crd of generateCrds()) {
      const schema = (crd.spec.versions as { schema: { openAPIV3Schema: Record<string, unknown> } }[])[0]!.schema
        .openAPIV3Schema;
      expect(missingDescriptions(schema)).toEqual(['metadata']);
    }
  });

  it('writes the chart CRDs identical to crds/, and the chart values schema', () => {
    const files = renderFiles();
    for (const crd of generateCrds()) {
      const name = `${crd.metadata.name}.yaml`;
      expect(files.get(`charts/skiff/crds/${name}`)).toBe(files.get(`crds/${name}`));
    }
    expect(JSON.parse(files.get('charts/skiff/values.schema.json')!)).toEqual(valuesJsonSchema());
  });

  it('the values schema refuses unknown keys and requires every key values.yaml sets', () => {
    const schema = valuesJsonSchema() as { additionalProperties: unknown; required: string[]; properties: object };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required.sort()).toEqual(Object.keys(schema.properties).sort());
  });

  it('--check without --helm says that deploy/skiff.yaml was not checked', async () => {
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => out.push(chunk) > 0) as typeof process.stdout.write;
    try {
      expect(await run(['--check', '--root', ROOT])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(out.join('')).toContain('deploy/skiff.yaml not checked: no --helm');
  });

  it('leaves out an empty properties map, which the API server would drop', () => {
    const json = z.toJSONSchema(z.object({ e: z.object({}).strict().describe('e') }).describe('root'));
    const out = toStructural(json as Record<string, unknown>) as { properties: Record<string, object> };
    expect(out.properties.e).toEqual({ description: 'e', type: 'object' });
  });

  it('refuses unions, which are not structural', () => {
    const json = z.toJSONSchema(z.object({ a: z.union([z.string(), z.number()]).describe('a') }));
    expect(() => toStructural(json as Record<string, unknown>)).toThrow(StructuralSchemaError);
  });
});
