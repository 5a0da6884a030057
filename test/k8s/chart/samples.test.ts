/**
 * deploy/samples: every file is accepted by zod and by the API server, and each capability
 * plugin has a Workload sample that grants it.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostConfigSchema, PLUGIN_NAMES, parseWorkload } from '../../../src/api/index.js';
import { apply, type Cluster, connect, createNamespace, installCrds, ROOT, resourcePath, sample } from '../cluster.js';

const FILES = readdirSync(join(ROOT, 'deploy', 'samples')).filter((f) => f.endsWith('.yaml'));
let cluster: Cluster;
let ns: string;

beforeAll(async () => {
  cluster = await connect();
  await installCrds(cluster);
  ns = await createNamespace(cluster, 'chart-samples');
});
afterAll(async () => cluster?.release());

describe('deploy/samples', () => {
  it.each(FILES)('%s is valid for zod and the API server', async (file) => {
    const manifest = sample(file);
    const plural = manifest.kind === 'Workload' ? 'workloads' : 'hostconfigs';
    if (plural === 'workloads') parseWorkload(manifest, file);
    else hostConfigSchema.parse(manifest);
    const res = await apply(cluster.http, `${resourcePath(plural, ns, manifest.metadata.name)}`, manifest);
    expect(res.status, res.text).toBe(201);
  });

  it.each(PLUGIN_NAMES)('a Workload sample grants %s', (plugin) => {
    const grants = FILES.map(sample)
      .filter((m) => m.kind === 'Workload')
      .flatMap((m) => m.spec.hostInterfaces as { package: string }[]);
    expect(grants.some((g) => g.package === plugin)).toBe(true);
  });
});
