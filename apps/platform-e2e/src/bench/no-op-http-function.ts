import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

// A function for the node agent's http runtime that answers every request at once: 200, empty
// body. `--port` on 127.0.0.1; runs until it is signalled.
const { values } = parseArgs({ options: { port: { type: 'string' } } });
const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => response.writeHead(200, { 'content-length': '0' }).end());
});
server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), '127.0.0.1');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
