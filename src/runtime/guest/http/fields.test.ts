import { describe, expect, it } from 'vitest';
import { OutgoingRequest } from './client.js';
import { Fields } from './fields.js';
import { IncomingRequest, OutgoingResponse } from './serve.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const strings = (f: Fields) => f.entries().map(([n, v]) => [n, dec(v)]);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
}

describe('wasi:http fields', () => {
  it('looks names up case-insensitively and keeps order and original case', () => {
    const f = Fields.fromList([
      ['Content-Type', enc('text/plain')],
      ['X-Multi', enc('a')],
      ['accept', enc('*/*')],
      ['x-multi', enc('b')],
    ]);
    expect(f.get('content-type').map(dec)).toEqual(['text/plain']);
    expect(f.get('X-MULTI').map(dec)).toEqual(['a', 'b']);
    expect(f.has('ACCEPT')).toBe(true);
    expect(f.has('missing')).toBe(false);
    expect(f.get('missing')).toEqual([]);
    expect(strings(f)).toEqual([
      ['Content-Type', 'text/plain'],
      ['X-Multi', 'a'],
      ['accept', '*/*'],
      ['x-multi', 'b'],
    ]);
  });

  it('set replaces every value of a name, append adds one, delete removes all', () => {
    const f = new Fields();
    f.append('A', enc('1'));
    f.append('b', enc('2'));
    f.append('a', enc('3'));
    f.set('A', [enc('x'), enc('y')]);
    expect(strings(f)).toEqual([
      ['b', '2'],
      ['A', 'x'],
      ['A', 'y'],
    ]);
    f.set('a', []);
    expect(f.has('a')).toBe(false);
    f.append('c', enc('3'));
    f.delete('B');
    expect(strings(f)).toEqual([['c', '3']]);
    f.delete('not-there');
    expect(strings(f)).toEqual([['c', '3']]);
  });

  it('rejects invalid names and values with invalid-syntax', () => {
    const f = new Fields();
    expect(thrown(() => f.append('bad name', enc('v')))).toEqual({ tag: 'invalid-syntax' });
    expect(thrown(() => f.append('', enc('v')))).toEqual({ tag: 'invalid-syntax' });
    expect(thrown(() => f.append('x', enc('a\r\nInjected: 1')))).toEqual({ tag: 'invalid-syntax' });
    expect(thrown(() => f.set('x', [enc('ok'), enc('nul\0')]))).toEqual({ tag: 'invalid-syntax' });
    expect(thrown(() => Fields.fromList([['x:y', enc('v')]]))).toEqual({ tag: 'invalid-syntax' });
    expect(f.entries()).toEqual([]);
    f.append('x', enc('tab\tand latin1 \xe9 ok'));
    expect(f.has('x')).toBe(true);
  });

  it('forbids connection-level names and host', () => {
    const f = new Fields();
    for (const name of ['Connection', 'keep-alive', 'Host', 'transfer-encoding', 'upgrade']) {
      expect(thrown(() => f.append(name, enc('v')))).toEqual({ tag: 'forbidden' });
      expect(thrown(() => f.set(name, [enc('v')]))).toEqual({ tag: 'forbidden' });
    }
    expect(thrown(() => Fields.fromList([['host', enc('evil.example')]]))).toEqual({ tag: 'forbidden' });
  });

  it('fields owned by a request or response are immutable; clone is a mutable copy', () => {
    const headers = Fields.fromList([['a', enc('1')]]);
    const response = new OutgoingResponse(headers);
    const owned = response.headers();
    expect(thrown(() => owned.append('b', enc('2')))).toEqual({ tag: 'immutable' });
    expect(thrown(() => owned.set('a', [enc('2')]))).toEqual({ tag: 'immutable' });
    expect(thrown(() => owned.delete('a'))).toEqual({ tag: 'immutable' });
    // immutable is reported before the name is even looked at
    expect(thrown(() => owned.append('bad name', enc('2')))).toEqual({ tag: 'immutable' });
    expect(thrown(() => new OutgoingRequest(new Fields()).headers().append('a', enc('1')))).toEqual({
      tag: 'immutable',
    });

    const copy = owned.clone();
    copy.append('b', enc('2'));
    expect(strings(copy)).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
    expect(strings(owned)).toEqual([['a', '1']]);
  });

  it('incoming request headers are immutable and keep the bytes Node decoded as latin1', () => {
    const req = new IncomingRequest({
      method: 'GET',
      url: 'http://h/',
      headers: [
        ['x-a', '1'],
        ['x-latin', 'caf\xe9'],
      ],
      body: new Uint8Array(),
    });
    const h = req.headers();
    expect(h).toBe(req.headers());
    expect(Array.from(h.get('X-Latin')[0]!)).toEqual([0x63, 0x61, 0x66, 0xe9]);
    expect(thrown(() => h.append('x-b', enc('2')))).toEqual({ tag: 'immutable' });
  });
});
