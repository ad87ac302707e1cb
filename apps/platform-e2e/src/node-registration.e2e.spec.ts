import { eventually } from '@canopy/async-testing';
import { taskStreamId } from '@canopy/contracts';
import { credentialsAuthenticator } from '@canopy/nats-auth';
import { connect } from '@nats-io/transport-node';
import { stackForFile } from './testing/stack-for-file.js';

// A node registered through the API runs on the credentials the API handed out, and only while it is
// enabled: deleting it revokes them at the NATS server and moves its running task elsewhere;
// restoring it lets the same credentials in again.

const e2e = stackForFile({ label: 'node_registration' });

/** Whether a fresh connection with these credentials is accepted by the NATS server. */
async function connects(natsUrl: string, creds: string): Promise<boolean> {
  try {
    const connection = await connect({
      servers: natsUrl,
      authenticator: credentialsAuthenticator(creds),
      maxReconnectAttempts: 0,
      timeout: 5_000,
    });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

e2e.test(
  'a deleted node loses its credentials and its task; a restored one gets them back',
  async (stack) => {
    const { token } = await stack.signUp('fleet owner');
    const registered = await stack.requestJson<{ nodeId: string; credentials: string }>(
      '/v1/node/workstation-1',
      { method: 'POST', token, json: { description: 'under the desk' } },
    );
    expect(registered.status).toBe(201);
    const { nodeId, credentials } = registered.body;
    // Only this node is privileged at first, so the task below goes to it.
    await stack.startNode({ nodeId, credentials, privileged: true, slots: 1 });
    const functionId = await stack.registerFunction(token, {
      name: 'slow echo',
      privileged: true,
      runtime: { kind: 'process', command: 'sh', args: ['-c', 'sleep 6; cat'] },
    });
    const issued = await stack.requestJson<{ id: string }>(`/v1/task/${functionId}`, {
      method: 'POST',
      token,
      json: { ran: 'somewhere' },
    });
    expect(issued.status).toBe(201);
    const taskId = issued.body.id;
    await eventually(async () => {
      const events = await stack.store.readStream(taskStreamId(taskId));
      expect(events.map((event) => event.type)).toContain('TaskAssigned');
    }, 30_000);
    const replacement = await stack.startNode({ privileged: true, slots: 1 });

    expect(
      (await stack.request('/v1/node/workstation-1', { method: 'DELETE', token })).status,
    ).toBe(204);
    await eventually(
      async () => expect(await connects(stack.natsUrl, credentials)).toBe(false),
      30_000,
    );
    const answer = await stack.request(`/v1/task/${taskId}/result?wait=40`, { token });
    expect({ status: answer.status, body: await answer.text() }).toEqual({
      status: 200,
      body: '{"ran":"somewhere"}',
    });
    const history = (await stack.store.readStream(taskStreamId(taskId))).map((event) => ({
      type: event.type,
      nodeId: (event.data as { nodeId?: string }).nodeId,
      reason: (event.data as { reason?: string }).reason,
    }));
    expect(history).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'TaskAssigned', nodeId }),
        expect.objectContaining({ type: 'TaskUnassigned', nodeId, reason: 'NODE_DISABLED' }),
        expect.objectContaining({ type: 'TaskAssigned', nodeId: replacement.nodeId }),
        expect.objectContaining({ type: 'TaskFinished' }),
      ]),
    );

    const restored = await stack.requestJson<{ disabled: boolean }>('/v1/node/workstation-1', {
      method: 'PATCH',
      token,
      json: {},
    });
    expect({ status: restored.status, disabled: restored.body.disabled }).toEqual({
      status: 200,
      disabled: false,
    });
    await eventually(
      async () => expect(await connects(stack.natsUrl, credentials)).toBe(true),
      30_000,
    );
  },
  150_000,
);
