/**
 * Runs the Argo CD health check (deploy/gitops/argocd/health.lua) the way Argo CD does: the
 * object as a Lua table in the global `obj`, the script's returned table read back. Real
 * Debian Lua interpreters: 5.1 (the dialect of Argo CD's gopher-lua) and 5.4.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from '../cluster.js';
import { exec, scratch } from './helm.js';

/** HEALTH_SCRIPT is the health check's path. */
export const HEALTH_SCRIPT = join(ROOT, 'deploy', 'gitops', 'argocd', 'health.lua');

/** LUA_BINARIES are the Lua interpreters on this machine (Debian packages lua5.1, lua5.4). */
export const LUA_BINARIES = ['/usr/bin/lua5.1', '/usr/bin/lua5.4'].filter((p) => existsSync(p));

/** toLua renders a JSON value as a Lua expression (null becomes nil, so the key is absent). */
export function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return luaString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  const fields = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `[${luaString(k)}] = ${toLua(v)}`);
  return `{${fields.join(', ')}}`;
}

function luaString(s: string): string {
  let out = '"';
  for (const byte of Buffer.from(s, 'utf8')) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${String(byte).padStart(3, '0')}`;
  }
  return `${out}"`;
}

/** Health is what the script returned. */
export type Health = { status: string; message: string };

/** health runs the check on `obj` with one interpreter. */
export async function health(lua: string, obj: unknown): Promise<Health> {
  const program = [
    `obj = ${toLua(obj)}`,
    `local check = assert(loadfile(${luaString(HEALTH_SCRIPT)}))`,
    'local hs = check()',
    'io.write(hs.status, "\\n", hs.message or "", "\\n")',
  ].join('\n');
  const file = scratch('health.lua');
  await writeFile(file, program);
  const r = await exec(lua, [file], {}, 10_000);
  if (r.code !== 0) throw new Error(`${lua} failed: ${r.stderr}`);
  const [status = '', message = ''] = r.stdout.split('\n');
  return { status, message };
}
