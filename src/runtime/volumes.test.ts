import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Volume } from '../api/index.js';
import { ConfigSources } from './sources.js';
import { materializeVolumes, projectSources } from './volumes.js';

const work = mkdtempSync(join(tmpdir(), 'skiff-volumes-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const bytes = (s: string) => new TextEncoder().encode(s);
const sources = new ConfigSources()
  .add(
    'ConfigMap',
    'app',
    new Map([
      ['app.yaml', bytes('port: 80\n')],
      ['log.level', bytes('debug')],
    ]),
  )
  .add(
    'Secret',
    'tls',
    new Map([
      ['tls.key', bytes('KEY')],
      ['tls.crt', bytes('CRT')],
    ]),
  )
  .add('Secret', 'absent', null);

async function project(volumes: Volume[]) {
  return materializeVolumes('ns', volumes, work, { resolver: projectSources(sources) });
}

describe('configMap and secret volumes', () => {
  it('keeps secret volumes in the secret directory when there is one, and removes them there too', async () => {
    const secrets = mkdtempSync(join(tmpdir(), 'skiff-volumes-secrets-'));
    try {
      const v = await materializeVolumes(
        'ns',
        [
          { name: 'cfg', configMap: { name: 'app' } },
          { name: 'certs', secret: { secretName: 'tls' } },
        ],
        work,
        { resolver: projectSources(sources), secretDir: secrets },
      );
      const certs = v.dirs.get('certs')!;
      expect(certs.startsWith(`${secrets}/`)).toBe(true);
      expect(v.dirs.get('cfg')!.startsWith(`${work}/`)).toBe(true);
      expect(readFileSync(join(certs, 'tls.key'), 'utf8')).toBe('KEY');
      await v.dispose();
      expect(readdirSync(secrets)).toEqual([]);
    } finally {
      rmSync(secrets, { recursive: true, force: true });
    }
  });

  it('writes every key as a file (0644 by default) and marks the volume read-only', async () => {
    const v = await project([
      { name: 'cfg', configMap: { name: 'app' } },
      { name: 'tmp', emptyDir: {} },
    ]);
    const dir = v.dirs.get('cfg')!;
    expect(readdirSync(dir).sort()).toEqual(['app.yaml', 'log.level']);
    expect(readFileSync(join(dir, 'app.yaml'), 'utf8')).toBe('port: 80\n');
    expect(statSync(join(dir, 'app.yaml')).mode & 0o777).toBe(0o644);
    expect([...v.readOnly]).toEqual(['cfg']);
    await v.dispose();
    expect(() => statSync(dir)).toThrow();
  });

  it('projects items to their paths with their modes, and defaultMode for the rest', async () => {
    const v = await project([
      {
        name: 'certs',
        secret: {
          secretName: 'tls',
          defaultMode: 0o440,
          items: [
            { key: 'tls.key', path: 'private/key.pem', mode: 0o400 },
            { key: 'tls.crt', path: 'cert.pem' },
          ],
        },
      },
    ]);
    const dir = v.dirs.get('certs')!;
    expect(readFileSync(join(dir, 'private/key.pem'), 'utf8')).toBe('KEY');
    expect(statSync(join(dir, 'private/key.pem')).mode & 0o777).toBe(0o400);
    expect(statSync(join(dir, 'cert.pem')).mode & 0o777).toBe(0o440);
    await v.dispose();
  });

  it('keeps the owner able to read a file whatever its mode says', async () => {
    const v = await project([{ name: 'x', secret: { secretName: 'tls', defaultMode: 0 } }]);
    expect(statSync(join(v.dirs.get('x')!, 'tls.key')).mode & 0o777).toBe(0o400);
    await v.dispose();
  });

  it('gives an empty volume for an optional object that does not exist, and skips optional missing keys', async () => {
    const v = await project([
      { name: 'a', secret: { secretName: 'absent', optional: true } },
      { name: 'b', configMap: { name: 'app', optional: true, items: [{ key: 'nope', path: 'nope' }] } },
    ]);
    expect(readdirSync(v.dirs.get('a')!)).toEqual([]);
    expect(readdirSync(v.dirs.get('b')!)).toEqual([]);
    await v.dispose();
  });

  it('fails the start on a missing object or key, naming it, and leaves nothing behind', async () => {
    const before = readdirSync(work).length;
    await expect(project([{ name: 'a', secret: { secretName: 'absent' } }])).rejects.toMatchObject({
      code: 'SKIFF_CONFIG_NOT_FOUND',
      message: 'Secret absent does not exist',
    });
    await expect(
      project([{ name: 'b', configMap: { name: 'app', items: [{ key: 'nope', path: 'n' }] } }]),
    ).rejects.toMatchObject({ code: 'SKIFF_CONFIG_INVALID', message: 'volume "b": ConfigMap app has no key "nope"' });
    expect(readdirSync(work)).toHaveLength(before);
  });

  it('refuses two items that collide on disk', async () => {
    await expect(
      project([
        {
          name: 'c',
          configMap: {
            name: 'app',
            items: [
              { key: 'app.yaml', path: 'a' },
              { key: 'log.level', path: 'a/b' },
            ],
          },
        },
      ]),
    ).rejects.toMatchObject({ code: 'SKIFF_VOLUME' });
  });
});
