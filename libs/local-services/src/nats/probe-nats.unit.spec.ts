import { natsEndpoints, parseNatsInfoLine } from './probe-nats.js';

describe('parseNatsInfoLine', () => {
  test('reads the server id, version and JetStream flag', () => {
    const line =
      'INFO {"server_id":"NDX","server_name":"n1","version":"2.9.10","proto":1,"host":"127.0.0.1","port":4222,"headers":true,"jetstream":true,"max_payload":1048576}';
    expect(parseNatsInfoLine(line)).toEqual({
      serverId: 'NDX',
      version: '2.9.10',
      jetstream: true,
    });
  });

  test('a server without JetStream omits the flag', () => {
    expect(parseNatsInfoLine('INFO {"server_id":"A","version":"2.10.0"}')?.jetstream).toBe(false);
  });

  test('anything else is not a NATS server', () => {
    expect(parseNatsInfoLine('SSH-2.0-OpenSSH_9.2')).toBeUndefined();
    expect(parseNatsInfoLine('INFO {not json}')).toBeUndefined();
    expect(parseNatsInfoLine('')).toBeUndefined();
  });
});

describe('natsEndpoints', () => {
  test('lists every server of a comma-separated URL, defaulting the port', () => {
    expect(natsEndpoints('nats://a.example:4223, tls://user:pw@b.example ,c.example:5000')).toEqual(
      [
        { host: 'a.example', port: 4223 },
        { host: 'b.example', port: 4222 },
        { host: 'c.example', port: 5000 },
      ],
    );
  });

  test('unwraps IPv6 hosts', () => {
    expect(natsEndpoints('nats://[::1]:4222')).toEqual([{ host: '::1', port: 4222 }]);
  });
});
