import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Workload } from '../api/index.js';
import { loadSecretsFile, localSources, secretNamesOf } from './secrets-file.js';

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'skiff-secrets-file-')), 'secrets.yaml');
  writeFileSync(path, text);
  return path;
}
const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);

const workload: Workload = {
  apiVersion: 'runtime.skiff.dev/v1alpha1',
  kind: 'Workload',
  metadata: { name: 'w', namespace: 'default' },
  spec: {
    replicas: 1,
    components: [{ name: 'c', image: 'file:///x', secretFrom: [{ name: 'b' }] }],
    hostInterfaces: [
      { namespace: 'wasmcloud', package: 'secrets', interfaces: ['store'], secretFrom: [{ name: 'a' }, { name: 'b' }] },
    ],
    volumes: [{ name: 'tls', secret: { secretName: 'c' } }],
  },
};

describe('secrets file', () => {
  it('reads Secret documents (data base64, stringData winning) and skips other kinds', async () => {
    const path = file(
      'apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: {k: aGVsbG8=, s: b2xk}\nstringData: {s: new}\n' +
        '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {x: y}\n',
    );
    const secrets = await loadSecretsFile(path);
    expect([...secrets.keys()]).toEqual(['a']);
    expect(text(secrets.get('a')?.get('k'))).toBe('hello');
    expect(text(secrets.get('a')?.get('s'))).toBe('new');
  });

  it('names the file and key of a bad entry, never its value', async () => {
    const path = file('apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: {k: "not base64 sup3rs3cret!"}\n');
    const err = await loadSecretsFile(path).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toBe(`secrets file ${path}: data.k: must be base64`);
    expect(err).toMatchObject({ code: 'SKIFF_SECRETS_FILE' });
    await expect(
      loadSecretsFile(
        file(
          'kind: Secret\napiVersion: v1\nmetadata: {name: a}\n---\n' +
            'kind: Secret\napiVersion: v1\nmetadata: {name: a}\n',
        ),
      ),
    ).rejects.toThrow(/Secret a appears twice/);
  });

  it('brings each named Secret as a fresh copy, or as absent', async () => {
    expect(secretNamesOf(workload)).toEqual(['a', 'b', 'c']);
    const local = new Map([['a', new Map([['k', Uint8Array.from([1, 2])]])]]);
    const sources = localSources(workload, local);
    const copy = sources.get('Secret', 'a', false)!.get('k')!;
    sources.wipe();
    expect([...copy]).toEqual([0, 0]);
    expect([...local.get('a')!.get('k')!]).toEqual([1, 2]);
    expect(localSources(workload, local).get('Secret', 'b', true)).toBeUndefined();
    expect(() => localSources(workload, local).get('Secret', 'c', false)).toThrow('Secret c does not exist');
  });
});
