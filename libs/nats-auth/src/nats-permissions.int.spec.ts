import { eventually } from '@canopy/async-testing';
import {
  ISSUE_TASK_SUBJECT,
  SCHEDULER_QUEUE_GROUP,
  assignmentSubject,
  cancellationSubject,
  nodeInboxPrefix,
  nodeReportPattern,
  nodeReportSubject,
  taskNotificationSubject,
} from '@canopy/contracts';
import {
  connect,
  credsAuthenticator,
  type ConnectionOptions,
  type Msg,
  type NatsConnection,
} from '@nats-io/transport-node';
import { NodeCredentialRevocations, openNodeCredentialRevocations } from './revocations.js';
import {
  startSecuredPrivateNats,
  type CredentialsHolder,
  type SecuredPrivateNats,
} from './testing/index.js';

// A real nats-server enforcing the authority's JWTs: what each kind of user may and may not do.

let nats: SecuredPrivateNats;
const opened: NatsConnection[] = [];

beforeAll(async () => {
  nats = await startSecuredPrivateNats();
});

afterEach(async () => {
  await Promise.all(
    opened.splice(0).map((connection) => connection.close().catch(() => undefined)),
  );
});

afterAll(async () => {
  await nats.stop();
});

/** A connection as `holder`, with the errors the server reported to it. */
async function connectAs(
  holder: CredentialsHolder,
  options: Partial<ConnectionOptions> = {},
): Promise<{ connection: NatsConnection; errors: string[]; publicKey: string }> {
  const { creds, publicKey } = await nats.credentialsFor(holder);
  const connection = await connect({
    servers: nats.url,
    authenticator: credsAuthenticator(new TextEncoder().encode(creds)),
    ...(typeof holder === 'object' ? { inboxPrefix: nodeInboxPrefix(holder.nodeId) } : {}),
    ...options,
  });
  opened.push(connection);
  const errors: string[] = [];
  void (async () => {
    for await (const status of connection.status()) {
      if (status.type === 'error') errors.push(status.error.message);
    }
  })();
  return { connection, errors, publicKey };
}

/** A scheduler user answering every issue-task request with "issued", as the scheduler's group. */
async function issueListener(): Promise<void> {
  const { connection } = await connectAs('scheduler');
  connection.subscribe(ISSUE_TASK_SUBJECT, {
    queue: SCHEDULER_QUEUE_GROUP,
    callback: (_error, msg) => {
      msg.respond('issued');
    },
  });
  await connection.flush();
}

/** A scheduler user answering every node report with "ok", recording the subjects it heard. */
async function reportListener(): Promise<{ heard: string[]; connection: NatsConnection }> {
  const { connection } = await connectAs('scheduler');
  const heard: string[] = [];
  connection.subscribe('canopy.node.*.>', {
    callback: (_error, msg: Msg) => {
      heard.push(msg.subject);
      msg.respond('ok');
    },
  });
  await connection.flush();
  return { heard, connection };
}

describe('a node user', () => {
  test('reports on its own subjects and takes its own assignments and cancellations', async () => {
    const scheduler = await reportListener();
    const { connection: node, errors } = await connectAs({ nodeId: 'n1' });
    const assignments: string[] = [];
    node.subscribe(assignmentSubject('n1'), {
      callback: (_error, msg) => {
        assignments.push(msg.string());
        msg.respond('accepted');
      },
    });
    const cancellations: string[] = [];
    node.subscribe(cancellationSubject('n1'), {
      callback: (_error, msg) => {
        cancellations.push(msg.string());
      },
    });
    await node.flush();

    const ack = await node.request(nodeReportSubject('n1', 'heartbeat'), '{}', { timeout: 5_000 });
    expect(ack.string()).toBe('ok');
    expect(scheduler.heard).toEqual(['canopy.node.n1.heartbeat']);

    const reply = await scheduler.connection.request(assignmentSubject('n1'), 'offer', {
      timeout: 5_000,
    });
    expect(reply.string()).toBe('accepted');
    scheduler.connection.publish(cancellationSubject('n1'), 'stop');
    await eventually(() => expect(cancellations).toEqual(['stop']));
    expect(assignments).toEqual(['offer']);
    expect(errors).toEqual([]);
  });

  test("cannot subscribe to another node's assignments or cancellations, nor to other inboxes", async () => {
    const { connection: node } = await connectAs({ nodeId: 'n1' });
    const refusals: string[] = [];
    for (const subject of [
      assignmentSubject('n2'),
      cancellationSubject('n2'),
      'canopy.assign.*',
      '_INBOX.>',
      `${nodeInboxPrefix('n2')}.>`,
      nodeReportPattern('result'),
    ]) {
      node.subscribe(subject, {
        callback: (error) => {
          if (error !== null) refusals.push(error.message);
        },
      });
    }
    await node.flush();
    await eventually(() => expect(refusals).toHaveLength(6));
    expect(refusals).toEqual(
      expect.arrayContaining([
        'Permissions Violation for Subscription to "canopy.assign.n2"',
        'Permissions Violation for Subscription to "canopy.cancel.n2"',
        'Permissions Violation for Subscription to "_INBOX.>"',
        'Permissions Violation for Subscription to "_INBOX_n2.>"',
      ]),
    );

    // Whatever is sent to n2 never reaches n1; its own assignments do.
    const received: string[] = [];
    node.subscribe(assignmentSubject('n1'), {
      callback: (_error, msg) => {
        received.push(msg.subject);
      },
    });
    await node.flush();
    const { connection: scheduler } = await connectAs('scheduler');
    scheduler.publish(assignmentSubject('n2'), 'offer');
    scheduler.publish(assignmentSubject('n1'), 'offer');
    await eventually(() => expect(received).toEqual(['canopy.assign.n1']));
  });

  test("cannot publish on another node's report subjects or anywhere else", async () => {
    const scheduler = await reportListener();
    const { connection: node, errors } = await connectAs({ nodeId: 'n1' });
    node.publish(nodeReportSubject('n2', 'result'), '{}');
    node.publish(assignmentSubject('n2'), '{}');
    node.publish(ISSUE_TASK_SUBJECT, '{}');
    await node.flush();
    await eventually(() => expect(errors).toHaveLength(3));
    expect(errors).toEqual([
      'Permissions Violation for Publish to "canopy.node.n2.result"',
      'Permissions Violation for Publish to "canopy.assign.n2"',
      'Permissions Violation for Publish to "canopy.cmd.task.issue"',
    ]);
    // The server dropped them: the scheduler heard only what the node may send.
    await node.request(nodeReportSubject('n1', 'progress'), '{}', { timeout: 5_000 });
    expect(scheduler.heard).toEqual(['canopy.node.n1.progress']);
  });
});

describe('platform service users', () => {
  test("the gateway issues tasks to the scheduler and hears the projector's notifications", async () => {
    await issueListener();
    const { connection: gateway, errors: gatewayErrors } = await connectAs('gateway');
    const notifications: string[] = [];
    gateway.subscribe('canopy.notify.task.*', {
      callback: (_error, msg) => {
        notifications.push(msg.subject);
      },
    });
    await gateway.flush();

    const reply = await gateway.request(ISSUE_TASK_SUBJECT, '{}', { timeout: 5_000 });
    expect(reply.string()).toBe('issued');

    const { connection: projector, errors: projectorErrors } = await connectAs('projector');
    const subject = taskNotificationSubject('0123456789abcdef01234567');
    projector.publish(subject, '{}');
    await projector.flush();
    await eventually(() => expect(notifications).toEqual([subject]));
    expect(gatewayErrors).toEqual([]);
    expect(projectorErrors).toEqual([]);
  });

  test('the cli may issue a task like the gateway', async () => {
    await issueListener();
    const { connection: cli } = await connectAs('cli');
    expect((await cli.request(ISSUE_TASK_SUBJECT, '{}', { timeout: 5_000 })).string()).toBe(
      'issued',
    );
  });

  test('services cannot impersonate nodes or each other', async () => {
    const { connection: gateway, errors: gatewayErrors } = await connectAs('gateway');
    gateway.publish(nodeReportSubject('n1', 'result'), '{}');
    gateway.publish(assignmentSubject('n1'), '{}');
    await gateway.flush();
    await eventually(() => expect(gatewayErrors).toHaveLength(2));
    expect(gatewayErrors).toEqual([
      'Permissions Violation for Publish to "canopy.node.n1.result"',
      'Permissions Violation for Publish to "canopy.assign.n1"',
    ]);

    const { connection: projector } = await connectAs('projector');
    const refused: string[] = [];
    projector.subscribe('canopy.notify.task.*', {
      callback: (error) => {
        if (error !== null) refused.push(error.message);
      },
    });
    await projector.flush();
    await eventually(() =>
      expect(refused).toEqual(['Permissions Violation for Subscription to "canopy.notify.task.*"']),
    );

    // The scheduler announces recorded outcomes to the gateways, but cannot speak for a node.
    const { connection: listeningGateway } = await connectAs('gateway');
    const notified: string[] = [];
    listeningGateway.subscribe('canopy.notify.task.*', {
      callback: (_error, message) => {
        notified.push(message.subject);
      },
    });
    await listeningGateway.flush();
    const { connection: scheduler, errors: schedulerErrors } = await connectAs('scheduler');
    scheduler.publish(nodeReportSubject('n1', 'result'), '{}');
    scheduler.publish(taskNotificationSubject('0123456789abcdef01234567'), '{}');
    await scheduler.flush();
    await eventually(() =>
      expect(schedulerErrors).toEqual([
        'Permissions Violation for Publish to "canopy.node.n1.result"',
      ]),
    );
    await eventually(() =>
      expect(notified).toEqual([taskNotificationSubject('0123456789abcdef01234567')]),
    );
  });

  test("connections without credentials, or with another authority's, are refused", async () => {
    await expect(connect({ servers: nats.url })).rejects.toThrow(/Authorization Violation/);
    const other = await startSecuredPrivateNats();
    try {
      const { creds } = await other.credentialsFor('gateway');
      await expect(
        connect({
          servers: nats.url,
          authenticator: credsAuthenticator(new TextEncoder().encode(creds)),
        }),
      ).rejects.toThrow(/Authorization Violation/);
    } finally {
      await other.stop();
    }
  });
});

describe('revoking node credentials', () => {
  test("closes the revoked node's connection, refuses it until lifted, and leaves other nodes alone", async () => {
    const { connection: system } = await connectAs('system');
    const revocations = new NodeCredentialRevocations({
      connection: system,
      authority: nats.authority,
    });
    const revokedNode = await nats.credentialsFor({ nodeId: 'n-revoked' });
    const connectRevokedNode = () =>
      connect({
        servers: nats.url,
        authenticator: credsAuthenticator(new TextEncoder().encode(revokedNode.creds)),
        inboxPrefix: nodeInboxPrefix('n-revoked'),
        maxReconnectAttempts: -1,
        reconnectTimeWait: 100,
      });
    const revoked = await connectRevokedNode();
    opened.push(revoked);
    const { connection: bystander } = await connectAs({ nodeId: 'n-bystander' });
    const scheduler = await reportListener();

    await revocations.apply(new Map([[revokedNode.publicKey, Math.floor(Date.now() / 1000)]]));

    // Connected: the server closes it; the client's reconnects are refused, so it gives up.
    const closedWith = await revoked.closed();
    expect(closedWith?.message).toMatch(/Authorization Violation|Authentication Revoked/);
    // Reconnecting later is refused too.
    await expect(connectRevokedNode()).rejects.toThrow(/Authorization Violation/);
    // Other nodes keep working.
    await bystander.request(nodeReportSubject('n-bystander', 'heartbeat'), '{}', {
      timeout: 5_000,
    });
    expect(scheduler.heard).toContain('canopy.node.n-bystander.heartbeat');

    await revocations.apply(new Map());
    const restored = await connectRevokedNode();
    opened.push(restored);
    await restored.request(nodeReportSubject('n-revoked', 'heartbeat'), '{}', { timeout: 5_000 });
    expect(scheduler.heard).toContain('canopy.node.n-revoked.heartbeat');
  });

  test('new credentials issued after a revocation of the old ones work', async () => {
    const { revocations, close } = await openNodeCredentialRevocations({
      servers: nats.url,
      authority: nats.authority,
    });
    const old = await nats.credentialsFor({ nodeId: 'n-reissued' });
    await revocations.apply({ [old.publicKey]: Math.floor(Date.now() / 1000) });
    await expect(
      connect({
        servers: nats.url,
        authenticator: credsAuthenticator(new TextEncoder().encode(old.creds)),
      }),
    ).rejects.toThrow(/Authorization Violation/);
    const { connection } = await connectAs({ nodeId: 'n-reissued' });
    expect(connection.isClosed()).toBe(false);
    await revocations.apply({});
    await close();
  });

  test('only a system account user can update the account', async () => {
    const { connection: scheduler } = await connectAs('scheduler');
    const revocations = new NodeCredentialRevocations({
      connection: scheduler,
      authority: nats.authority,
      timeoutMs: 1_000,
    });
    await expect(revocations.apply({})).rejects.toThrow();
  });

  test('rejects keys that are not user public keys before sending anything', async () => {
    const { connection: system } = await connectAs('system');
    const revocations = new NodeCredentialRevocations({
      connection: system,
      authority: nats.authority,
    });
    await expect(revocations.apply({ 'not-a-key': 1 })).rejects.toThrow(
      'revocation: "not-a-key" is not a NATS user public key',
    );
    const { publicKey } = await nats.credentialsFor({ nodeId: 'n1' });
    await expect(revocations.apply({ [publicKey]: -1 })).rejects.toThrow(TypeError);
  });
});
