import { configContract } from './contract.js';
import { memoryConfigBackend } from './memory.js';

configContract('memory', () => {
  const backend = memoryConfigBackend();
  return {
    backend,
    set: (ref, key, value) => (value === undefined ? backend.unset(ref, key) : backend.set(ref, key, value)),
  };
});
