import { createInterface } from 'node:readline';

// A function for the node agent's persistent runtime that answers every invocation at once: one
// JSON request per stdin line in, one response line out (200, no content type, empty body).
createInterface({ input: process.stdin }).on('line', (line) => {
  const { id } = JSON.parse(line) as { id: unknown };
  const response = { id, status: 200, contentType: null, headers: {}, body: '' };
  process.stdout.write(`${JSON.stringify(response)}\n`);
});
