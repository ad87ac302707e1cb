import { natsServers, natsServersForLog } from './nats-servers.js';
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

describe('natsServersForLog', () => {
  test('leaves out a user and password, keeps the rest', () => {
    expect(natsServersForLog('nats://app:s3cret@a:4222, tls://token@b:4443,c:4222')).toBe(
      'nats://a:4222,tls://b:4443,c:4222',
    );
    expect(natsServersForLog('u:p@127.0.0.1:4222')).toBe('127.0.0.1:4222');
  });
});
