import { keyvalueContract } from './contract.js';
import { memoryKeyValueBackend } from './memory.js';

keyvalueContract('memory', () => memoryKeyValueBackend());
