import { blobstoreContract } from './contract.js';
import { memoryBlobstoreBackend } from './memory.js';

blobstoreContract('memory', () => memoryBlobstoreBackend());
