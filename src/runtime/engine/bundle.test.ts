import { describe, expect, it } from 'vitest';
import { BundleError, openBundle, packBundle } from './bundle.js';

const secret = new TextEncoder().encode('a secret that all hosts share, 32+ bytes');
const files = {
  'component.mjs': new TextEncoder().encode('export async function instantiate() {}'),
  'component.core.wasm': new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]),
};

describe('transpile bundles', () => {
  it('round-trips the files of a key', () => {
    expect(openBundle('k1', packBundle('k1', files, secret), secret)).toEqual(files);
  });

  it('refuses a bundle signed with another secret', () => {
    const other = packBundle('k1', files, new TextEncoder().encode('another secret, also 32 bytes long!!'));
    expect(() => openBundle('k1', other, secret)).toThrow(/signature does not verify/);
  });

  it('refuses a bundle made for another key', () => {
    expect(() => openBundle('k2', packBundle('k1', files, secret), secret)).toThrow(/is for k1, not k2/);
  });

  it('refuses a bundle with a changed byte or cut short', () => {
    const bundle = packBundle('k1', files, secret);
    const changed = bundle.slice();
    changed[bundle.length - 40]! ^= 1;
    expect(() => openBundle('k1', changed, secret)).toThrow(BundleError);
    expect(() => openBundle('k1', bundle.slice(0, bundle.length - 1), secret)).toThrow(BundleError);
    expect(() => openBundle('k1', new Uint8Array(10), secret)).toThrow(/not a transpile bundle/);
  });

  it('refuses file names that would leave the cache directory, even when signed', () => {
    const evil = packBundle('k1', { '../escape.mjs': files['component.mjs'] }, secret);
    expect(() => openBundle('k1', evil, secret)).toThrow(/header is malformed/);
  });
});
