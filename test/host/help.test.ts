/**
 * `skiff host --help` says what a new user needs before exposing a host: where it listens.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('skiff host --help', () => {
  it('says the host binds 0.0.0.0 (every interface) unless told otherwise', async () => {
    const cli = runCli(['host', '--help']);
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toMatch(/--bind ADDR\s+.*listen on ADDR; default 0\.0\.0\.0, every interface/);
    expect(cli.output()).toMatch(/--bind 127\.0\.0\.1/);
  });
});
