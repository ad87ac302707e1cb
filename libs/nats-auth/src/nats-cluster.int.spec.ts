import { eventually } from '@canopy/async-testing';
import {
  ISSUE_TASK_SUBJECT,
  SCHEDULER_QUEUE_GROUP,
  assignmentSubject,
  nodeInboxPrefix,
} from '@canopy/contracts';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import {
  startSecuredNatsCluster,
  type CredentialsHolder,
  type SecuredNatsCluster,
} from './testing/index.js';

// Three nats-servers routed to each other with the same authority: users of any server reach users
// of any other, and a client given every URL rides out the loss of the server it was talking to.

let cluster: SecuredNatsCluster;
const opened: NatsConnection[] = [];

beforeAll(async () => {
  cluster = await startSecuredNatsCluster();
}, 60_000);

afterAll(async () => {
  await Promise.all(opened.map((connection) => connection.close().catch(() => undefined)));
  await cluster.stop();
});

async function connectAs(holder: CredentialsHolder, servers: string): Promise<NatsConnection> {
  const { creds } = await cluster.credentialsFor(holder);
  const connection = await connect({
    servers: servers.split(','),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    authenticator: credsAuthenticator(new TextEncoder().encode(creds)),
    ...(typeof holder === 'object' ? { inboxPrefix: nodeInboxPrefix(holder.nodeId) } : {}),
  });
  opened.push(connection);
  return connection;
}

test('a request on one server is answered by a subscriber on another, with JWT authentication everywhere', async () => {
  const [first, , third] = cluster.members;
  const scheduler = await connectAs('scheduler', third?.url ?? '');
  scheduler.subscribe(ISSUE_TASK_SUBJECT, {
    queue: SCHEDULER_QUEUE_GROUP,
    callback: (_error, message) => {
      message.respond('answered');
    },
  });
  await scheduler.flush();
  const gateway = await connectAs('gateway', first?.url ?? '');
  // Routes carry the subscription's interest once they are up.
  const answer = await eventually(
    () => gateway.request(ISSUE_TASK_SUBJECT, '{}', { timeout: 1000 }),
    30_000,
  );
  expect(answer.string()).toBe('answered');
  await expect(
    connect({ servers: first?.url ?? '', reconnect: false, timeout: 2000 }),
  ).rejects.toThrow();
});

test('a client of the whole cluster keeps receiving after the server it used is killed, and the server rejoins when restarted', async () => {
  const nodeId = 'cluster-node';
  const node = await connectAs({ nodeId }, cluster.url);
  const received: string[] = [];
  node.subscribe(assignmentSubject(nodeId), {
    callback: (_error, message) => {
      received.push(message.string());
    },
  });
  await node.flush();
  const serving = () => node.getServer().replace(/^nats:\/\//, '');
  const usedServer = cluster.members.findIndex((member) => member.url.endsWith(`//${serving()}`));
  expect(usedServer).toBeGreaterThanOrEqual(0);
  const others = cluster.members.filter((member) => member.index !== usedServer);
  const scheduler = await connectAs('scheduler', others[0]?.url ?? '');

  await cluster.signal(usedServer, 'SIGKILL');
  expect(cluster.members[usedServer]?.running).toBe(false);
  await eventually(async () => {
    scheduler.publish(assignmentSubject(nodeId), 'after the loss');
    await scheduler.flush();
    expect(received).toContain('after the loss');
  }, 30_000);
  expect(cluster.members[usedServer]?.url.endsWith(`//${serving()}`)).toBe(false);

  await cluster.restart(usedServer);
  const onRestarted = await connectAs('scheduler', cluster.members[usedServer]?.url ?? '');
  await eventually(async () => {
    onRestarted.publish(assignmentSubject(nodeId), 'through the restarted server');
    await onRestarted.flush();
    expect(received).toContain('through the restarted server');
  }, 30_000);
}, 90_000);
