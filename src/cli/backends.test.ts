import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';
import { BACKEND_FLAGS, backendFlags } from './backends.js';

const flags = (...argv: string[]) => backendFlags(parseArgs(argv, BACKEND_FLAGS));

describe('backendFlags', () => {
  it('reads --disable-plugin, repeated or comma-separated, http apart from the capability plugins', () => {
    const f = flags('--disable-plugin', 'messaging', '--disable-plugin=http,keyvalue');
    expect(f.disabled).toEqual(['keyvalue', 'messaging']);
    expect(f.httpDisabled).toBe(true);
    expect(flags().disabled).toEqual([]);
    expect(flags().httpDisabled).toBe(false);
  });

  it('reads the config, logging and messaging backends', () => {
    const f = flags('--config-backend', 'memory', '--logging-backend', 'nats', '--messaging-backend', 'memory');
    expect([f.config, f.logging, f.messaging]).toEqual(['memory', 'nats', 'memory']);
    expect(() => flags('--messaging-backend', 'redis')).toThrow(/--messaging-backend must be one of memory, nats/);
  });

  it('refuses an unknown plugin name and a backend for a disabled plugin', () => {
    expect(() => flags('--disable-plugin', 'sql')).toThrow(/--disable-plugin must name one of .*"sql"/);
    expect(() => flags('--disable-plugin', 'keyvalue', '--keyvalue-backend', 'memory')).toThrow(
      /--keyvalue-backend and --disable-plugin keyvalue contradict/,
    );
  });
});
