import { expect, it } from 'vitest';
import { loggingContract } from './contract.js';
import { memoryLogBackend } from './memory.js';

loggingContract('memory', () => {
  const backend = memoryLogBackend();
  return { backend, read: () => backend.recent() };
});

it('memory log backend keeps only the most recent records and filters by workload', () => {
  const backend = memoryLogBackend(2);
  const base = { time: 0, namespace: 'ns', component: 'c', level: 'info', context: '' } as const;
  backend.write({ ...base, workload: 'a', message: '1' });
  backend.write({ ...base, workload: 'b', message: '2' });
  backend.write({ ...base, workload: 'a', message: '3' });
  expect(backend.recent().map((r) => r.message)).toEqual(['2', '3']);
  expect(backend.recent({ workload: 'a' }).map((r) => r.message)).toEqual(['3']);
});
