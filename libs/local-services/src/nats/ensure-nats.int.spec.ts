import { access, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findFreePort } from '../network/tcp-port.js';
import { ensureNats } from './ensure-nats.js';
import { NatsServerNotFoundError } from './nats-server-process.js';
import { probeNats } from './probe-nats.js';

describe('ensureNats', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'canopy-nats-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  test('spawns nats-server with JetStream on a free port, finds it again, and stops only what it started', async () => {
    const port = await findFreePort();
    const spawned = await ensureNats({ dataDir, port });
    try {
      expect(spawned).toMatchObject({ url: `nats://127.0.0.1:${port}`, startedHere: true });
      expect(await probeNats(spawned.url)).toMatchObject({
        answers: true,
        info: { jetstream: true },
      });
      await access(path.join(dataDir, 'nats'));

      const byUrl = await ensureNats({ url: spawned.url });
      const byPort = await ensureNats({ dataDir, port });
      expect(byUrl).toMatchObject({ url: spawned.url, startedHere: false });
      expect(byPort).toMatchObject({ url: spawned.url, startedHere: false });
      await byUrl.stop();
      await byPort.stop();
      expect((await probeNats(spawned.url)).answers).toBe(true);
    } finally {
      await spawned.stop();
    }
    expect((await probeNats(spawned.url)).answers).toBe(false);
    await spawned.stop();
  });

  test('says how to install nats-server when it cannot be found', async () => {
    const attempt = ensureNats({
      dataDir,
      port: await findFreePort(),
      natsServerPath: path.join(dataDir, 'no-such-nats-server'),
    });
    await expect(attempt).rejects.toBeInstanceOf(NatsServerNotFoundError);
    await expect(attempt).rejects.toThrow(/apt-get install nats-server/);
  });

  test('a given URL where nothing answers fails, naming the URL', async () => {
    const port = await findFreePort();
    await expect(ensureNats({ url: `nats://127.0.0.1:${port}` })).rejects.toThrow(
      `NATS at nats://127.0.0.1:${port} does not answer`,
    );
  });

  test('something that is not NATS does not count as NATS, and its explicit port is not taken over', async () => {
    const impostor = net.createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    const { port } = impostor.address() as net.AddressInfo;
    try {
      expect(await probeNats(`nats://127.0.0.1:${port}`)).toMatchObject({
        answers: false,
        reason: expect.stringMatching(/not a NATS server/),
      });
      await expect(ensureNats({ dataDir, port })).rejects.toThrow(
        `cannot start NATS on 127.0.0.1:${port}: the port is taken`,
      );
    } finally {
      await new Promise((resolve) => impostor.close(resolve));
    }
  });
});
