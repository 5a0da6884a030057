import { expect, it } from 'vitest';
import { subjectMatches, validPattern } from './backend.js';
import { messagingContract } from './contract.js';
import { memoryMessagingBackend } from './memory.js';

messagingContract('memory', () => memoryMessagingBackend());

it('subjectMatches follows NATS wildcard rules', () => {
  expect(subjectMatches('a.*.c', 'a.b.c')).toBe(true);
  expect(subjectMatches('a.*', 'a.b.c')).toBe(false);
  expect(subjectMatches('a.>', 'a.b.c')).toBe(true);
  expect(subjectMatches('a.>', 'a')).toBe(false);
  expect(subjectMatches('a.b', 'a.b')).toBe(true);
  expect(validPattern('a.>.b')).toBe(false);
  expect(validPattern('a.*.>')).toBe(true);
});
