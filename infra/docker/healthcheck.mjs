// The images' HEALTHCHECK: GET a probe (default /readyz) of the service in this container and exit
// 0 when it answers 2xx, 1 otherwise. The slim Node images have neither curl nor wget; Node's fetch
// does the job. The port is the admin listener's (ADMIN_PORT) when set, else the gateway's PORT.
const path = process.argv[2] ?? '/readyz';
const port = process.env.ADMIN_PORT || process.env.PORT || '3000';

try {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    signal: AbortSignal.timeout(4000),
  });
  process.exitCode = response.ok ? 0 : 1;
} catch {
  process.exitCode = 1;
}
