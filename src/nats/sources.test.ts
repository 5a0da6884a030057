import { describe, expect, it } from 'vitest';
import { seal, sourceBucket, unseal } from './sources.js';

describe('sealed sources', () => {
  const plain = new TextEncoder().encode('{"data":{"token":"czNjcmV0"}}');

  it('opens what it sealed, and each seal uses a fresh key', () => {
    const a = seal(plain);
    const b = seal(plain);
    expect(Buffer.from(unseal(a.bytes, a)).toString()).toBe(Buffer.from(plain).toString());
    expect(a.key).not.toBe(b.key);
    expect(a.digest).not.toBe(b.digest);
    expect(Buffer.from(a.bytes).includes(Buffer.from('czNjcmV0')), 'ciphertext only').toBe(false);
  });

  it('refuses changed bytes, another digest and another key', () => {
    const a = seal(plain);
    const flipped = new Uint8Array(a.bytes);
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    expect(() => unseal(flipped, a)).toThrow(/digest mismatch/);
    const other = seal(plain);
    expect(() => unseal(a.bytes, { digest: a.digest, key: other.key })).toThrow(/cannot be opened/);
  });

  it('names one bucket per namespace, apart from guest containers', () => {
    expect(sourceBucket('shop')).toBe('skiff-sources-shop');
    expect(() => sourceBucket('a.b')).toThrow(RangeError);
  });
});
