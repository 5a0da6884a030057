import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualHostRouter } from '../../src/runtime/http/routers.js';
import { fixturePath } from '../../test/support/fixtures.js';
import { startTestHost, type TestHost, workload } from '../../test/support/host.js';
import { togglesPlugin } from './plugin.js';

let t: TestHost;
let wasm: string;
const http = (host: string) => ({ namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'], config: { host } });
const flags = (profile: string) => ({
  namespace: 'example',
  package: 'toggles',
  interfaces: ['toggles'],
  version: '0.1.0',
  config: { profile },
});

beforeAll(async () => {
  wasm = await fixturePath('custom-plugin');
  t = await startTestHost({
    plugins: [togglesPlugin({ beta: { 'new-ui': true, search: false }, stable: { 'new-ui': false } })],
    router: new VirtualHostRouter(),
  });
  await t.host.workloadStart(workload('beta', [{ name: 'g', image: `file://${wasm}` }], [http('beta.test'), flags('beta')]));
  await t.host.workloadStart(
    workload('stable', [{ name: 'g', image: `file://${wasm}` }], [http('stable.test'), flags('stable')]),
  );
});
afterAll(async () => {
  await t?.stop();
});

describe('custom plugin example', () => {
  it('serves each workload its own profile', async () => {
    expect((await t.request('/?flag=new-ui', { host: 'beta.test' })).text).toBe('on');
    expect((await t.request('/?flag=new-ui', { host: 'stable.test' })).text).toBe('off');
    expect((await t.request('/list', { host: 'beta.test' })).text).toBe('new-ui,search');
  });

  it('returns the WIT error for an unknown flag without trapping', async () => {
    expect(await t.request('/?flag=nope', { host: 'stable.test' })).toEqual({ status: 404, text: 'unknown flag nope' });
    expect((await t.request('/?flag=new-ui', { host: 'stable.test' })).status).toBe(200);
  });

  it('is denied to a workload that was not granted it', async () => {
    const w = workload('ungranted', [{ name: 'g', image: `file://${wasm}` }], [http('x.test')]);
    await expect(t.host.workloadStart(w)).rejects.toThrow(/example:toggles\/toggles@0.1.0 \(not granted/);
  });

  it('ships the WIT it implements', () => {
    expect(readFileSync(join(import.meta.dirname, 'guest', 'toggles.wit'), 'utf8')).toContain('enabled: func(name: string)');
  });
});
