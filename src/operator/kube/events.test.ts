import { describe, expect, it } from 'vitest';
import { truncateBytes } from './events.js';

describe('truncateBytes', () => {
  it('keeps short text and cuts long text to the byte limit without splitting a character', () => {
    expect(truncateBytes('short', 1024)).toBe('short');
    const cut = truncateBytes('é'.repeat(1000), 1024);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(1024);
    expect(cut.endsWith('é…')).toBe(true);
    expect(cut).not.toContain('\uFFFD');
  });
});
