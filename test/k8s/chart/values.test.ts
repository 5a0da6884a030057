/**
 * The chart's values: values.yaml is complete and valid for the zod schema its
 * values.schema.json is generated from, helm rejects bad values naming the key, and
 * `helm lint --strict` is clean.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chartValuesSchema } from '../../../src/api/values.js';
import { KUBE_VERSION } from '../../../src/gen/index.js';
import { ROOT } from '../cluster.js';
import { CHART, helm, templateRun } from './helm.js';

const valuesYaml = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8'));

describe('chart values', () => {
  it('values.yaml is valid and complete for the zod schema', () => {
    const parsed = chartValuesSchema.safeParse(valuesYaml);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    // strict objects: nothing in values.yaml that the schema does not know, and nothing dropped.
    expect(parsed.data).toEqual(valuesYaml);
  });

  it('Chart.yaml appVersion is the package version (the default image tag)', () => {
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8'));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(chart.appVersion).toBe(pkg.version);
  });

  it('helm lint --strict is clean, with the defaults and with every option switched', async () => {
    const plain = await helm(undefined, 'lint', '--strict', CHART, '--kube-version', KUBE_VERSION);
    expect(plain.code, plain.stdout + plain.stderr).toBe(0);
    expect(plain.stdout).toContain('0 chart(s) failed');
    expect(plain.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    const sets = [
      '--set=nats.bundled.enabled=false',
      '--set=nats.url=tls://nats.example.com:4222',
      '--set=nats.auth.type=creds',
      '--set=nats.auth.secretName=nats-creds',
      '--set=nats.tls.secretName=nats-tls',
      '--set=nats.tls.clientCertificate=true',
      '--set=metrics.serviceMonitor.enabled=true',
      '--set=operator.watchNamespaces={team-a,team-b}',
      '--set=hostConfig.create=false',
    ];
    const all = await helm(undefined, 'lint', '--strict', CHART, '--kube-version', KUBE_VERSION, ...sets);
    expect(all.code, all.stdout + all.stderr).toBe(0);
    expect(all.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
  });

  // Each bad value is refused by helm itself (values.schema.json or a template check), and
  // the message names the key.
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown key', { 'operator.replica': 2 }, /operator.*replica/],
    ['a wrong type', { 'operator.replicas': 'two' }, /operator\/replicas|operator\.replicas/],
    ['a value out of range', { 'operator.replicas': 0 }, /operator\/replicas|operator\.replicas/],
    ['an unknown enum value', { 'operator.logLevel': 'loud' }, /operator\/logLevel|operator\.logLevel/],
    ['a bad namespace name', { 'operator.watchNamespaces': ['Team_A'] }, /watchNamespaces/],
    ['a bad NATS URL', { 'nats.url': 'http://nats:4222' }, /nats\/url|nats\.url/],
    [
      'a quantity that is not one',
      { 'hostConfig.resources': { limits: { memory: 'lots' } } },
      /hostConfig\/resources\/limits\/memory/,
    ],
    ['external NATS without a URL', { 'nats.bundled.enabled': false }, /nats\.url/],
    ['credentials without a Secret', { 'nats.auth.type': 'token' }, /nats\.auth\.secretName/],
    ['creds with the bundled NATS', { 'nats.auth.type': 'creds', 'nats.auth.secretName': 'c' }, /nats\.auth\.type/],
    ['a URL beside the bundled NATS', { 'nats.url': 'nats://elsewhere:4222' }, /nats\.url/],
  ];
  it.each(bad)('rejects %s, naming the key', async (_what, values, key) => {
    const r = await templateRun(undefined, values);
    expect(r.code, r.stdout).not.toBe(0);
    expect(r.stderr).toMatch(key);
  });
});
