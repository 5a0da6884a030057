import { describe, expect, it } from 'vitest';
import { levelOf, logRecordOf } from './logs.js';
import { attributeValue, MAX_ATTRIBUTES, spanRecordOf } from './spans.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

function span(overrides: Record<string, unknown> = {}) {
  return {
    spanContext: {
      traceId: TRACE,
      spanId: 'b7ad6b7169203331',
      traceFlags: { sampled: true },
      isRemote: false,
      traceState: [],
    },
    parentSpanId: '00f067aa0ba902b7',
    spanKind: 'internal',
    name: 'work',
    startTime: { seconds: 1_700_000_000n, nanoseconds: 500_000_000 },
    endTime: { seconds: 1_700_000_001n, nanoseconds: 0 },
    attributes: [{ key: 'n', value: '42' }],
    events: [{ name: 'e', time: { seconds: 1_700_000_000n, nanoseconds: 750_000_000 }, attributes: [] }],
    links: [],
    status: { tag: 'error', val: 'boom' },
    instrumentationScope: { name: 'lib', version: '1.0', schemaUrl: undefined, attributes: [] },
    droppedAttributes: 0,
    droppedEvents: 0,
    droppedLinks: 0,
    ...overrides,
  };
}

describe('spanRecordOf', () => {
  it('turns span data into a record: times in ms, attributes parsed, status and scope kept', () => {
    expect(spanRecordOf(span())).toMatchObject({
      traceId: TRACE,
      spanId: 'b7ad6b7169203331',
      parentSpanId: '00f067aa0ba902b7',
      kind: 'internal',
      startMs: 1_700_000_000_500,
      endMs: 1_700_000_001_000,
      attributes: { n: 42 },
      events: [{ name: 'e', timeMs: 1_700_000_000_750 }],
      status: { code: 'error', message: 'boom' },
      scope: { name: 'lib', version: '1.0' },
    });
    expect(spanRecordOf(span({ parentSpanId: '' }))?.parentSpanId).toBeUndefined();
  });

  it('drops unsampled and malformed spans', () => {
    const unsampled = span();
    unsampled.spanContext.traceFlags = { sampled: false };
    expect(spanRecordOf(unsampled)).toBeUndefined();
    expect(spanRecordOf(span({ name: '' }))).toBeUndefined();
    expect(spanRecordOf(span({ parentSpanId: 'xyz' }))).toBeUndefined();
    expect(spanRecordOf(span({ spanKind: 'sideways' }))).toBeUndefined();
    expect(spanRecordOf(span({ startTime: { seconds: -1n, nanoseconds: 0 } }))).toBeUndefined();
    const badId = span();
    badId.spanContext.traceId = TRACE.toUpperCase();
    expect(spanRecordOf(badId)).toBeUndefined();
    expect(spanRecordOf('not a span')).toBeUndefined();
  });

  it('keeps at most MAX_ATTRIBUTES attributes', () => {
    const many = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: String(i) }));
    expect(Object.keys(spanRecordOf(span({ attributes: many }))!.attributes)).toHaveLength(MAX_ATTRIBUTES);
  });
});

describe('attributeValue', () => {
  it('reads JSON primitives and homogeneous arrays, and keeps anything else as text', () => {
    expect(attributeValue('"a"')).toBe('a');
    expect(attributeValue('1.5')).toBe(1.5);
    expect(attributeValue('true')).toBe(true);
    expect(attributeValue('[1,2]')).toEqual([1, 2]);
    expect(attributeValue('[1,"x"]')).toBe('[1,"x"]');
    expect(attributeValue('{"a":1}')).toBe('{"a":1}');
    expect(attributeValue('not json')).toBe('not json');
  });
});

describe('logRecordOf', () => {
  it('maps severity numbers to levels and reads the body', () => {
    expect([1, 5, 9, 13, 17, 21, undefined].map(levelOf)).toEqual([
      'trace',
      'debug',
      'info',
      'warn',
      'error',
      'fatal',
      'info',
    ]);
    expect(
      logRecordOf({ severityNumber: 17, body: '"disk full"', attributes: [{ key: 'disk', value: '"sda"' }] }),
    ).toEqual({
      level: 'error',
      message: 'disk full',
      fields: { disk: 'sda' },
    });
    expect(logRecordOf({ severityNumber: 300 })).toBeUndefined();
  });
});
