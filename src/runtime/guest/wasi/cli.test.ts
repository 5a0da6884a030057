import { describe, expect, it } from 'vitest';
import { createWasiImports, isWasiExit, WasiExitError } from './index.js';
import { type GuestInput, type GuestOutput, text, wasiError } from './testing.js';

function fn<T>(iface: Record<string, unknown>, name: string): T {
  return iface[name] as T;
}

describe('wasi:cli', () => {
  it('exposes env, args and initial-cwd from the options', () => {
    const wasi = createWasiImports({ env: { MODE: 'dev', A: '1' }, args: ['hello', '--x'], cwd: '/data' });
    const env = wasi['wasi:cli/environment'];
    expect(fn<() => unknown>(env, 'getEnvironment')()).toEqual([
      ['MODE', 'dev'],
      ['A', '1'],
    ]);
    expect(fn<() => unknown>(env, 'getArguments')()).toEqual(['hello', '--x']);
    expect(fn<() => unknown>(env, 'initialCwd')()).toBe('/data');
  });

  it('accepts env as ordered pairs and defaults to nothing', () => {
    const wasi = createWasiImports({ env: [['B', '2']] });
    expect(fn<() => unknown>(wasi['wasi:cli/environment'], 'getEnvironment')()).toEqual([['B', '2']]);
    const bare = createWasiImports({});
    expect(fn<() => unknown>(bare['wasi:cli/environment'], 'getArguments')()).toEqual([]);
    expect(fn<() => unknown>(bare['wasi:cli/environment'], 'initialCwd')()).toBeUndefined();
  });

  it('splits stdout and stderr into lines, across writes and streams', () => {
    const out: string[] = [];
    const err: string[] = [];
    const wasi = createWasiImports({ stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
    const getStdout = fn<() => GuestOutput>(wasi['wasi:cli/stdout'], 'getStdout');
    const a = getStdout();
    a.checkWrite();
    a.write(text('one\ntw'));
    a[Symbol.dispose]();
    const b = getStdout();
    b.blockingWriteAndFlush(text('o\r\nthree'));
    expect(out).toEqual(['one', 'two']);
    fn<() => GuestOutput>(wasi['wasi:cli/stderr'], 'getStderr')().blockingWriteAndFlush(text('oops\n'));
    expect(err).toEqual(['oops']);
    wasi.control.flush();
    expect(out).toEqual(['one', 'two', 'three']);
  });

  it('decodes UTF-8 split across writes', () => {
    const out: string[] = [];
    const wasi = createWasiImports({ stdout: (l) => out.push(l) });
    const s = fn<() => GuestOutput>(wasi['wasi:cli/stdout'], 'getStdout')();
    const bytes = text('héllo ✓\n');
    s.blockingWriteAndFlush(bytes.subarray(0, 2));
    s.blockingWriteAndFlush(bytes.subarray(2, 9));
    s.blockingWriteAndFlush(bytes.subarray(9));
    expect(out).toEqual(['héllo ✓']);
  });

  it('gives an empty, closed stdin', () => {
    const wasi = createWasiImports({});
    const stdin = fn<() => GuestInput>(wasi['wasi:cli/stdin'], 'getStdin')();
    expect(wasiError(() => stdin.read(10n))).toEqual({ tag: 'closed' });
    expect(wasiError(() => stdin.blockingRead(10n))).toEqual({ tag: 'closed' });
  });

  it('has no terminals', () => {
    const wasi = createWasiImports({});
    expect(fn<() => unknown>(wasi['wasi:cli/terminal-stdin'], 'getTerminalStdin')()).toBeUndefined();
    expect(fn<() => unknown>(wasi['wasi:cli/terminal-stdout'], 'getTerminalStdout')()).toBeUndefined();
    expect(fn<() => unknown>(wasi['wasi:cli/terminal-stderr'], 'getTerminalStderr')()).toBeUndefined();
    expect(typeof wasi['wasi:cli/terminal-input'].TerminalInput).toBe('function');
    expect(typeof wasi['wasi:cli/terminal-output'].TerminalOutput).toBe('function');
  });

  it('turns exit into a WasiExitError carrying the code, after flushing output', () => {
    const out: string[] = [];
    const wasi = createWasiImports({ stdout: (l) => out.push(l) });
    fn<() => GuestOutput>(wasi['wasi:cli/stdout'], 'getStdout')().blockingWriteAndFlush(text('bye'));
    const exit = wasi['wasi:cli/exit'];
    const codeOf = (run: () => void) => {
      try {
        run();
      } catch (e) {
        expect(e).toBeInstanceOf(WasiExitError);
        expect(isWasiExit(new Error('wrapped', { cause: e }))).toBe(true);
        return (e as WasiExitError).exitCode;
      }
      return undefined;
    };
    expect(codeOf(() => fn<(s: unknown) => void>(exit, 'exit')({ tag: 'ok' }))).toBe(0);
    expect(out).toEqual(['bye']);
    expect(codeOf(() => fn<(s: unknown) => void>(exit, 'exit')({ tag: 'err' }))).toBe(1);
    expect(codeOf(() => fn<(c: number) => void>(exit, 'exitWithCode')(42))).toBe(42);
    expect(isWasiExit(new Error('other'))).toBe(false);
  });

  it('provides every WASI interface it lists, and only those as enumerable keys', async () => {
    const { WASI_INTERFACES } = await import('./index.js');
    const wasi = createWasiImports({});
    expect(Object.keys(wasi).sort()).toEqual([...WASI_INTERFACES].sort());
    expect({ ...wasi }).not.toHaveProperty('control');
  });
});
