// The baseline: a plain Node HTTP server answering "hello from skiff".
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const body = Buffer.from('hello from skiff');
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length }).end(body);
});
server.listen(port, '127.0.0.1', () => process.stderr.write(`listening on ${server.address().port}\n`));
