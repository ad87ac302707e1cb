import { eventually } from '@canopy/async-testing';
import { stackForFile } from './testing/stack-for-file.js';

// Logs are read by more people than the data is: whatever the services write, at the most verbose
// level, must not contain an API key, an access token, node credentials or a task's body.

const e2e = stackForFile({ label: 'secret_free_logs', logLevel: 'trace', keepAllOutput: true });

e2e.test(
  'a whole task lifecycle at trace level leaves no secret and no body in any log',
  async (stack) => {
    const node = await stack.startNode({ slots: 1 });
    const { account, token } = await stack.signUp('logged');
    const functionId = await stack.registerFunction(token, {
      name: 'echo',
      runtime: { kind: 'process', command: 'cat' },
    });
    const requestMarker = `request-body-${Date.now().toString(36)}-marker`;
    const issued = await stack.requestJson<{ id: string }>(`/v1/task/${functionId}?q=1`, {
      method: 'POST',
      token,
      json: { secret: requestMarker },
    });
    expect(issued.status).toBe(201);
    await eventually(async () => {
      const result = await stack.request(`/v1/task/${issued.body.id}/result?wait=20`, { token });
      expect(await result.text()).toContain(requestMarker);
    }, 60_000);
    // A failed exchange and a forged token are logged as failures, never with what was sent.
    await stack.requestJson('/v1/auth/apiKey', {
      method: 'POST',
      json: { key: `${account.apiKey.slice(0, -4)}AAAA` },
    });
    await stack.request('/v1/task/list', { token: `${token}x` });
    await stack.request(`/v1/task/${issued.body.id}`, { token });

    const output = stack.allOutput();
    expect(output.length).toBeGreaterThan(0);
    // The log is verbose enough to have mentioned the task, so its silence about the rest means something.
    expect(output).toContain(issued.body.id);
    const secrets: Record<string, string> = {
      'the API key': account.apiKey,
      "the API key's secret part": account.apiKey.slice(-20),
      'the access token': token,
      "the access token's signature": token.split('.')[2] ?? token,
      'the task body': requestMarker,
      ...Object.fromEntries(
        stack.credentialSecrets().map((secret, index) => [`NATS credential ${index + 1}`, secret]),
      ),
    };
    const found = Object.entries(secrets)
      .filter(([, secret]) => secret.length >= 8 && output.includes(secret))
      .map(([what]) => what);
    expect(found).toEqual([]);
    node.kill('SIGTERM');
  },
  120_000,
);
