import net from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** True when nothing listens on the port (we could bind it ourselves). */
export function isPortFree(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the operating system considers free right now. */
export function findFreePort(host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('the operating system did not report the port it assigned'));
      });
    });
  });
}

/**
 * The port to start a server on: the preferred one when it is free; when it is taken, a free one,
 * unless the caller asked for that port explicitly (silently moving would hide their mistake).
 */
export async function choosePort(
  preferred: number,
  explicit: boolean,
  what: string,
): Promise<number> {
  if (await isPortFree(preferred)) return preferred;
  if (explicit) {
    throw new Error(
      `cannot start ${what} on ${LOOPBACK}:${preferred}: the port is taken by something that does not answer as ${what}`,
    );
  }
  return findFreePort();
}
