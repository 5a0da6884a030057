/**
 * KeepAliveLoad is a client that keeps its connections: `concurrency` loops send GET requests
 * back to back through one node:http Agent with keepAlive, the way a long-lived service
 * client does, and record every request that did not end in a 200 (status, error, and
 * whether it went out on a reused connection). It retries nothing.
 */
import { Agent, request } from 'node:http';

/** LoadTarget is where the load goes: an address and port, and the Host header to send. */
export interface LoadTarget {
  readonly address: string;
  readonly port: number;
  readonly vhost: string;
  readonly path?: string;
}

/** LoadReport says how the load went. */
export interface LoadReport {
  readonly sent: number;
  readonly ok: number;
  /** failures describe each request that did not get a 200, with its time since the start. */
  readonly failures: string[];
  /** connections counts the connections the agent opened. */
  readonly connections: number;
  /** closedByServer counts answers that carried `Connection: close`. */
  readonly closedByServer: number;
}

/** KeepAliveLoad runs the load until `stop` (or its deadline). */
export class KeepAliveLoad {
  readonly #target: LoadTarget;
  readonly #agent: Agent;
  readonly #concurrency: number;
  readonly #deadline: number;
  readonly #started = Date.now();
  #loops: Promise<void>[] = [];
  #stopped = false;
  #sent = 0;
  #ok = 0;
  #connections = 0;
  #closedByServer = 0;
  readonly #failures: string[] = [];

  constructor(target: LoadTarget, options: { concurrency?: number; maxMs?: number } = {}) {
    this.#target = target;
    this.#concurrency = options.concurrency ?? 2;
    this.#agent = new Agent({ keepAlive: true, maxSockets: this.#concurrency });
    this.#deadline = Date.now() + (options.maxMs ?? 300_000);
  }

  /** sent is how many requests went out so far. */
  get sent(): number {
    return this.#sent;
  }

  /** start begins the loops. */
  start(): void {
    for (let i = 0; i < this.#concurrency; i++) this.#loops.push(this.#loop());
  }

  /** stop ends the loops after their current request and reports. */
  async stop(): Promise<LoadReport> {
    this.#stopped = true;
    await Promise.all(this.#loops);
    this.#agent.destroy();
    return {
      sent: this.#sent,
      ok: this.#ok,
      failures: [...this.#failures],
      connections: this.#connections,
      closedByServer: this.#closedByServer,
    };
  }

  async #loop(): Promise<void> {
    while (!this.#stopped && Date.now() < this.#deadline) {
      this.#sent++;
      const at = `+${((Date.now() - this.#started) / 1000).toFixed(2)}s`;
      const result = await this.#once();
      if (result.status === 200) this.#ok++;
      else this.#failures.push(`${at} ${result.status} ${result.text.trim().slice(0, 80)}`);
    }
  }

  #once(): Promise<{ status: number; text: string }> {
    const { address, port, vhost, path = '/' } = this.#target;
    return new Promise((resolve) => {
      const req = request(
        { agent: this.#agent, host: address, port, path, headers: { host: vhost }, timeout: 10_000 },
        (res) => {
          if (res.headers.connection === 'close') this.#closedByServer++;
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            text += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', (err) => resolve({ status: 0, text: `response: ${err.message}` }));
        },
      );
      req.on('socket', () => {
        if (!req.reusedSocket) this.#connections++;
      });
      req.on('timeout', () => req.destroy(new Error('request timed out')));
      req.on('error', (err: Error & { code?: string }) =>
        resolve({ status: 0, text: `${err.code ?? err.message}${req.reusedSocket ? ' (reused connection)' : ''}` }),
      );
      req.end();
    });
  }
}
