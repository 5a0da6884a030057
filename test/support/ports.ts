/**
 * freePort for tests: the same helper the test environment tools use.
 */
export { freePort, freePorts } from '../../tools/testenv/ports.js';
