// load.mjs: a bounded HTTP load generator run as its own process, so its CPU is not the
// server's. Keep-alive connections, fixed duration, counts only correct responses.
//   node bench/load.mjs URL --connections 32 --seconds 5 [--expect TEXT] [--host HOST]
import { Agent, request } from 'node:http';

const [url, ...rest] = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? rest[i + 1] : fallback;
};
const connections = Number(opt('connections', '32'));
const seconds = Math.min(Number(opt('seconds', '5')), 60);
const expectText = opt('expect', undefined);
const hostHeader = opt('host', undefined);
const target = new URL(url);
const agent = new Agent({ keepAlive: true, maxSockets: connections });
const deadline = performance.now() + seconds * 1000;
let ok = 0;
let bad = 0;
const latencies = [];

function once() {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = request(
      { agent, hostname: target.hostname, port: target.port, path: target.pathname, headers: hostHeader ? { host: hostHeader } : {} },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          if (res.statusCode === 200 && (expectText === undefined || body.includes(expectText))) ok++;
          else bad++;
          latencies.push(performance.now() - started);
          resolve();
        });
      },
    );
    req.on('error', () => {
      bad++;
      resolve();
    });
    req.end();
  });
}

const started = performance.now();
await Promise.all(
  Array.from({ length: connections }, async () => {
    while (performance.now() < deadline) await once();
  }),
);
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
agent.destroy();
process.stdout.write(
  `${JSON.stringify({ ok, bad, seconds: elapsed, rps: ok / elapsed, p50: pct(0.5), p99: pct(0.99) })}\n`,
);
