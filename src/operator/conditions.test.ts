import { describe, expect, it } from 'vitest';
import { flipped, setConditions } from './conditions.js';

describe('setConditions', () => {
  const t0 = new Date('2026-11-28T10:00:00Z');
  const t1 = new Date('2026-11-28T10:05:00Z');

  it('keeps lastTransitionTime while the status stays, and moves it when the status flips', () => {
    const a = setConditions(undefined, [{ type: 'Ready', status: 'False', reason: 'Starting', message: '0 of 1' }], t0);
    expect(a[0]?.lastTransitionTime).toBe('2026-11-28T10:00:00Z');
    const b = setConditions(a, [{ type: 'Ready', status: 'False', reason: 'InvalidComponent', message: 'bad' }], t1);
    expect(b[0]).toMatchObject({ reason: 'InvalidComponent', lastTransitionTime: '2026-11-28T10:00:00Z' });
    const c = setConditions(b, [{ type: 'Ready', status: 'True', reason: 'Running', message: '1 of 1' }], t1);
    expect(c[0]?.lastTransitionTime).toBe('2026-11-28T10:05:00Z');
    expect(flipped(b, c).map((x) => x.type)).toEqual(['Ready']);
    expect(flipped(c, c)).toEqual([]);
  });

  it('keeps conditions of other types that it was not asked to set', () => {
    const a = setConditions(undefined, [{ type: 'Custom', status: 'True', reason: 'X', message: '' }], t0);
    const b = setConditions(a, [{ type: 'Ready', status: 'True', reason: 'Running', message: '' }], t1);
    expect(b.map((c) => c.type)).toEqual(['Ready', 'Custom']);
  });
});
