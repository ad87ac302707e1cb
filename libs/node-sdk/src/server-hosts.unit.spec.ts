import { serverHosts } from './server-hosts.js';

test('names each server by host and port, without the credentials a URL carries', () => {
  expect(
    serverHosts([
      'nats://127.0.0.1:4222',
      'tls://node:s3cret@nats.example.com:4443',
      'nats.example.com:4222',
      'nats://[::1]:4222',
    ]),
  ).toEqual(['127.0.0.1:4222', 'nats.example.com:4443', 'nats.example.com:4222', '[::1]:4222']);
});

test('a server that is not a URL is not echoed', () => {
  expect(serverHosts(['nats://user:pw@exa mple:4222'])).toEqual(['(not a URL)']);
});
