import { natsServers } from './nats-servers.js';
import { commonConfigSchema } from './service-config.js';

describe('natsServers', () => {
  test('one server', () => {
    expect(natsServers('nats://127.0.0.1:4222')).toEqual(['nats://127.0.0.1:4222']);
  });

  test('several, separated by commas, with or without spaces', () => {
    expect(natsServers('nats://a:4222,nats://b:4222 , tls://c:4443')).toEqual([
      'nats://a:4222',
      'nats://b:4222',
      'tls://c:4443',
    ]);
  });

  test('keeps an empty entry, and NATS_URL refuses it', () => {
    expect(natsServers('nats://a:4222,')).toEqual(['nats://a:4222', '']);
    expect(commonConfigSchema.safeParse({ NATS_URL: 'nats://a:4222,' }).success).toBe(false);
    expect(commonConfigSchema.safeParse({ NATS_URL: 'nats://a:4222, nats://b:4222' }).success).toBe(
      true,
    );
  });
});
