/**
 * Errors of the test environment. Each says what to do next.
 */

/** TestEnvError is a startup failure of the test environment; `code` names which one. */
export class TestEnvError extends Error {
  override readonly name = 'TestEnvError';
  readonly code:
    | 'SKIFF_TESTENV_BINARY_MISSING'
    | 'SKIFF_TESTENV_PORT_TAKEN'
    | 'SKIFF_TESTENV_NOT_READY'
    | 'SKIFF_TESTENV_EXITED'
    | 'SKIFF_TESTENV_CERTS';
  constructor(code: TestEnvError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
