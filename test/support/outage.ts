/**
 * The outage drill the NATS and Redis backends' tests share: keep calling while the server
 * goes down and comes back, and hand back how every call ended. Every call must settle within
 * 5 s (a call still waiting long after its own timeout fails the test), calls must fail while
 * the server is away, and one must succeed again after it returns.
 */
import { settles, waitFor } from './wait.js';

/** Outcome is how one call of the drill ended. */
export interface Outcome {
  readonly ok: boolean;
  readonly err?: unknown;
}

/** RestartableServer is a test server that can be stopped and started again on the same port. */
export interface RestartableServer {
  down(): Promise<void>;
  up(): Promise<void>;
}

/**
 * callThroughOutage runs `call(i)` back to back while `server` goes down and up again: 20
 * successes first, then down until 5 calls failed, then `whileDown`, then up until one
 * succeeds. It resolves with every outcome once the traffic stopped.
 */
export async function callThroughOutage(
  call: (i: number) => Promise<unknown>,
  server: RestartableServer,
  whileDown: () => void = () => undefined,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let running = true;
  const traffic = (async () => {
    for (let i = 0; running; i++) {
      try {
        await settles('a call', call(i), 5000);
        outcomes.push({ ok: true });
      } catch (err) {
        outcomes.push({ ok: false, err });
      }
      await new Promise((r) => setImmediate(r));
    }
  })();
  try {
    await waitFor('calls to succeed before the outage', () => outcomes.filter((o) => o.ok).length > 20);
    await server.down();
    await waitFor('calls to fail during the outage', () => outcomes.filter((o) => !o.ok).length >= 5);
    whileDown();
    await server.up();
    const mark = outcomes.length;
    await waitFor('a call to succeed after the restart', () => outcomes.slice(mark).some((o) => o.ok), 20_000);
  } finally {
    running = false;
    await traffic;
  }
  return outcomes;
}
