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

  it('refuses unions, which are not structural', () => {
    const json = z.toJSONSchema(z.object({ a: z.union([z.string(), z.number()]).describe('a') }));
    expect(() => toStructural(json as Record<string, unknown>)).toThrow(StructuralSchemaError);
  });
});
