import { documentJson } from '../json/document-json.js';
import { z } from 'zod';
import {
  assignmentReplySchema,
  assignmentSchema,
  cancellationSchema,
} from './assignment-messages.js';
import {
  MAX_ISSUE_TASK_BATCH,
  issueTaskBatchReplySchema,
  issueTaskBatchRequestSchema,
  issueTaskReplySchema,
  issueTaskRequestSchema,
} from './issue-task-messages.js';
import { cancelTaskReplySchema, cancelTaskRequestSchema } from './cancel-task-messages.js';
import { taskEventNoticeSchema } from './task-event-notice.js';
import {
  announcementReplySchema,
  heartbeatReplySchema,
  nodeAckSchema,
  nodeAnnouncementSchema,
  nodeGoodbyeSchema,
  nodeHeartbeatSchema,
  progressReportSchema,
  resultReportSchema,
} from './node-messages.js';
import {
  CANCEL_TASK_AGAIN_SUBJECT,
  CANCEL_TASK_SUBJECT,
  ISSUE_TASK_AGAIN_SUBJECT,
  ISSUE_TASK_BATCH_AGAIN_SUBJECT,
  ISSUE_TASK_BATCH_SUBJECT,
  LEADER_ISSUE_TASK_BATCH_SUBJECT,
  LEADER_ISSUE_TASK_SUBJECT,
  ISSUE_TASK_SUBJECT,
  SCHEDULER_QUEUE_GROUP,
  taskEventNoticeSubject,
  assignmentSubject,
  cancellationSubject,
  againReportKinds,
  nodeInboxPrefix,
  nodeReportAgainSubject,
  nodeReportKinds,
  nodeReportSubject,
  taskNotificationSubject,
} from './subjects.js';
import type { AgainReportKind, NodeReportKind } from './subjects.js';
import { taskNotificationSchema } from './task-notification.js';

// The node protocol as an AsyncAPI 3.0 document (docs/asyncapi.json), built from the subject helpers
// and the messages' zod schemas, so it cannot describe a subject or a field the code does not use.
// Operations are seen from a node: it sends its reports and receives assignments and cancellations.
// The gateway ↔ scheduler and projector → gateway subjects are listed too, tagged `internal`.

const NODE_ID = '__nodeId__';
const TASK_ID = 'ffffffffffffffffffffffff';

type Json = Record<string, unknown>;

interface MessageDescription {
  readonly schema: z.ZodType;
  readonly title: string;
  readonly summary: string;
  readonly example?: unknown;
}

const messages = {
  NodeAnnouncement: {
    schema: nodeAnnouncementSchema,
    title: 'Node announcement',
    summary:
      'Who the node is and what it offers: capabilities, slots, and the attempts it still runs (after a reconnect)',
    example: {
      nodeId: 'edge-1',
      capabilities: { cpuCount: 4, memSize: 8192, networkLatency: 0, privileged: false },
      slots: 4,
      runningTasks: [],
      agent: 'canopy-node-agent/0.1.0',
    },
  },
  AnnouncementReply: {
    schema: announcementReplySchema,
    title: 'Announcement reply',
    summary:
      'Accepted, with the heartbeat interval to keep and the timeout after which the node counts as lost',
    example: { ok: true, heartbeatIntervalMs: 5000, heartbeatTimeoutMs: 15000 },
  },
  NodeHeartbeat: {
    schema: nodeHeartbeatSchema,
    title: 'Heartbeat',
    summary: 'The node is alive: its free slots and the attempts it runs',
    example: {
      nodeId: 'edge-1',
      freeSlots: 3,
      runningTasks: [{ taskId: '6405942c9956fae80d7e0e91', attempt: 1 }],
      sentAt: '2024-06-22T21:05:48Z',
    },
  },
  HeartbeatReply: {
    schema: heartbeatReplySchema,
    title: 'Heartbeat reply',
    summary: '`{ ok: true }`, or an error; `UNKNOWN_NODE` means: announce again',
    example: { ok: false, error: { code: 'UNKNOWN_NODE', message: 'announce again' } },
  },
  ProgressReport: {
    schema: progressReportSchema,
    title: 'Progress report',
    summary: 'Progress of an attempt, 0 to 100; `reportId` is shared by every retry of the report',
    example: {
      reportId: '0b7d1c1e-5d3c-4f59-9a51-2f7e0c1d9a3b',
      taskId: '6405942c9956fae80d7e0e91',
      attempt: 1,
      progress: 75,
    },
  },
  ResultReport: {
    schema: resultReportSchema,
    title: 'Result report',
    summary:
      "The function's HTTP response for an attempt (body in base64); `reportId` is shared by every retry",
    example: {
      reportId: '5f0c8f5e-2a7b-4f0e-8d8e-0a4b3c2d1e0f',
      taskId: '6405942c9956fae80d7e0e91',
      attempt: 1,
      response: {
        status: 200,
        contentType: 'text/plain',
        headers: {},
        body: 'SGVsbG8gZnJvbSBHcmVlbkNsb3VkIQ==',
      },
    },
  },
  NodeGoodbye: {
    schema: nodeGoodbyeSchema,
    title: 'Goodbye',
    summary: 'The node is leaving; its attempts go back to the scheduler',
    example: { nodeId: 'edge-1' },
  },
  NodeAck: {
    schema: nodeAckSchema,
    title: 'Acknowledgement',
    summary:
      '`{ ok: true }`, or `{ ok: false, error, retry }`: `retry: true` means send the same report again, `retry: false` is final',
    example: { ok: true },
  },
  Assignment: {
    schema: assignmentSchema,
    title: 'Assignment',
    summary:
      'One attempt of one task: the function runtime spec, the client request, the timeout and the time to start by',
    example: {
      taskId: '6405942c9956fae80d7e0e91',
      attempt: 1,
      functionId: '6405848581b16f7a07cd4c48',
      accountId: '64057f3c9956fae80d7e0e84',
      runtime: { kind: 'process', command: 'cat' },
      request: {
        query: 'name=John',
        contentType: 'application/json',
        body: 'eyJuYW1lIjoiSm9obiJ9',
      },
      timeout: 10,
      startBy: '2024-06-22T21:05:58Z',
      epoch: 7,
    },
  },
  AssignmentReply: {
    schema: assignmentReplySchema,
    title: 'Assignment reply',
    summary: 'Accept or reject (with a reason) the attempt',
    example: { accepted: true },
  },
  Cancellation: {
    schema: cancellationSchema,
    title: 'Cancellation',
    summary: 'Stop running this attempt; it is no longer the node’s',
    example: { taskId: '6405942c9956fae80d7e0e91', attempt: 1, reason: 'TIMEOUT' },
  },
  IssueTaskRequest: {
    schema: issueTaskRequestSchema,
    title: 'IssueTask request (internal)',
    summary: 'Gateway → scheduler: record this task',
  },
  IssueTaskReply: {
    schema: issueTaskReplySchema,
    title: 'IssueTask reply (internal)',
    summary: 'Sent only once TaskIssued is in the event store',
  },
  IssueTaskBatchRequest: {
    schema: issueTaskBatchRequestSchema,
    title: 'IssueTaskBatch request (internal)',
    summary: 'Gateway → scheduler: record these tasks of one function',
  },
  IssueTaskBatchReply: {
    schema: issueTaskBatchReplySchema,
    title: 'IssueTaskBatch reply (internal)',
    summary:
      "Each task's outcome in order, sent only once the recorded ones are in the event store",
  },
  TaskNotification: {
    schema: taskNotificationSchema,
    title: 'Task notification (internal)',
    summary:
      "Scheduler → gateways: the task's outcome is recorded (with its account and, unless large, the outcome); projector → gateways: it is in the read models",
  },
  CancelTaskRequest: {
    schema: cancelTaskRequestSchema,
    title: 'CancelTask request (internal)',
    summary: "Gateway → scheduler: cancel this task of the caller's account",
  },
  CancelTaskReply: {
    schema: cancelTaskReplySchema,
    title: 'CancelTask reply (internal)',
    summary: 'Sent once the task has ended: how it ended (cancelled, or how it had ended before)',
  },
  TaskEventNotice: {
    schema: taskEventNoticeSchema,
    title: 'Task event notice (internal)',
    summary: "Scheduler → gateways: the task's stream grew to this version",
  },
} as const satisfies Record<string, MessageDescription>;
type MessageName = keyof typeof messages;

interface ReportDescription {
  readonly request: MessageName;
  readonly reply: MessageName;
  readonly summary: string;
  readonly description: string;
}

// A Record over every report kind: adding a kind to subjects.ts fails to compile until it is described.
const reports: Record<NodeReportKind, ReportDescription> = {
  announce: {
    request: 'NodeAnnouncement',
    reply: 'AnnouncementReply',
    summary: 'Announce the node',
    description:
      'First message of a node, and again whenever a heartbeat is answered `UNKNOWN_NODE`. Retried with exponential backoff (the SDK: 250 ms doubling to 30 s, 20 % jitter, 5 s per request) until answered `ok: true`; announcing again is harmless.',
  },
  heartbeat: {
    request: 'NodeHeartbeat',
    reply: 'HeartbeatReply',
    summary: 'Heartbeat',
    description:
      'Every `heartbeatIntervalMs` of the announcement reply. An unanswered heartbeat is not resent: the next one replaces it. Without a heartbeat for `heartbeatTimeoutMs` the scheduler treats the node as lost and takes its attempts back.',
  },
  progress: {
    request: 'ProgressReport',
    reply: 'NodeAck',
    summary: 'Report progress',
    description:
      "Retried with backoff until acknowledged; every retry carries the same `reportId`, so the scheduler drops duplicates. A lost request or reply, no responders, an unreadable reply and `{ ok: false, retry: true }` are retried; `{ ok: false, retry: false }` is final (the attempt is not the node's any more, or the task is over). At most one progress request in flight per attempt: a newer value supersedes one being retried (with a new `reportId`); none is sent once the result is on its way. Progress never decreases.",
  },
  result: {
    request: 'ResultReport',
    reply: 'NodeAck',
    summary: "Report the function's response",
    description:
      "Retried with backoff until acknowledged, with the same `reportId` on every retry (deduplicated by the scheduler); `retry: false` is final. The attempt stays in the heartbeat's `runningTasks` until its result is acknowledged, refused or given up.",
  },
  goodbye: {
    request: 'NodeGoodbye',
    reply: 'NodeAck',
    summary: 'Leave',
    description:
      'Best effort (the SDK tries 3 times) when the node stops; its attempts are handed back at once. A node that vanishes without it is found by the heartbeat timeout.',
  },
};

const nodeIdParameter = {
  description:
    "The node's identity: 1 to 64 of `A-Z a-z 0-9 _ -`, one subject token. The scheduler trusts the subject's node id over any `nodeId` in a body, and NATS permissions bind it to the node's credentials.",
  examples: ['edge-1'],
};

/** The node protocol's AsyncAPI 3.0 document. */
export function nodeProtocolAsyncApi(): Json {
  const channels: Json = {};
  const operations: Json = {};
  const replyChannel = (name: string, message: MessageName) => {
    channels[name] = {
      address: null,
      description:
        "The requester's reply subject (a NATS inbox; a node's inbox is under `_INBOX_<nodeId>.`, see nodeInboxPrefix)",
      messages: { [message]: messageReference(message) },
    };
    return { $ref: `#/channels/${name}` };
  };

  const reportChannel = (
    name: string,
    address: string,
    title: string,
    report: Pick<ReportDescription, 'request' | 'reply' | 'summary' | 'description'>,
  ) => {
    channels[name] = {
      address: nodeAddress(address),
      title,
      description: report.description,
      parameters: { nodeId: nodeIdParameter },
      messages: { [report.request]: messageReference(report.request) },
    };
    operations[`send${capitalized(name.slice('node'.length))}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${name}` },
      summary: report.summary,
      description: `Core NATS request; the scheduler replies ${report.reply}.`,
      messages: [{ $ref: `#/channels/${name}/messages/${report.request}` }],
      reply: {
        address: replyAddress,
        channel: replyChannel(`${name}Reply`, report.reply),
        messages: [{ $ref: `#/channels/${name}Reply/messages/${report.reply}` }],
      },
    };
  };
  for (const kind of nodeReportKinds) {
    const report = reports[kind];
    const name = `node${capitalized(kind)}`;
    reportChannel(name, nodeReportSubject(NODE_ID, kind), `${kind} (node → scheduler)`, report);
    if (!againReportKinds.some((again) => again === kind)) continue;
    reportChannel(
      `${name}Again`,
      nodeReportAgainSubject(NODE_ID, kind as AgainReportKind),
      `${kind} asked again (node → every scheduler)`,
      {
        ...report,
        summary: `${report.summary}, asked again`,
        description: `The same ${report.request} (the same bytes, so the same \`reportId\`) sent again after its first sending was not acknowledged in time. The ${kind} subject reaches one scheduler replica of a queue group, picked at random, and the one that did not answer (paused, cut off from its database) would get about half of what is sent there again; every replica listens here and records the report as it would the first. The first acknowledgement is the answer; a later one acknowledges a repeat. Where no scheduler listens here (a release before it), NATS answers "no responders" at once: send it on the ${kind} subject instead. Optional: a node that sends every retry on the ${kind} subject is served as before.`,
      },
    );
  }

  channels['nodeAssign'] = {
    address: nodeAddress(assignmentSubject(NODE_ID)),
    title: 'assign (scheduler → node)',
    description:
      'The scheduler offers an attempt to the node, which answers within the request: accept or reject. It must be idempotent: the same `taskId` and `attempt` again is accepted again and never run twice. An attempt not started by `startBy` is taken back. Each attempt number names one recorded assignment, so `attempt` identifies a run. The node refuses (`STALE_EPOCH`) an assignment whose `epoch` is lower than the highest it has seen: it comes from a scheduler that is no longer the leader.',
    parameters: { nodeId: nodeIdParameter },
    messages: { Assignment: messageReference('Assignment') },
  };
  operations['receiveAssignment'] = {
    action: 'receive',
    channel: { $ref: '#/channels/nodeAssign' },
    summary: 'Receive an assignment',
    description: 'Core NATS request to the node; answer it with an AssignmentReply.',
    messages: [{ $ref: '#/channels/nodeAssign/messages/Assignment' }],
    reply: {
      address: replyAddress,
      channel: replyChannel('nodeAssignReply', 'AssignmentReply'),
      messages: [{ $ref: '#/channels/nodeAssignReply/messages/AssignmentReply' }],
    },
  };

  channels['nodeCancel'] = {
    address: nodeAddress(cancellationSubject(NODE_ID)),
    title: 'cancel (scheduler → node)',
    description:
      'Stop running an attempt (it timed out, the task was cancelled, or the attempt was taken back). Published without a reply: a node that misses it learns it from the acknowledgement of its next report (`retry: false`).',
    parameters: { nodeId: nodeIdParameter },
    messages: { Cancellation: messageReference('Cancellation') },
  };
  operations['receiveCancellation'] = {
    action: 'receive',
    channel: { $ref: '#/channels/nodeCancel' },
    summary: 'Receive a cancellation',
    description: 'Core NATS publish, fire and forget.',
    messages: [{ $ref: '#/channels/nodeCancel/messages/Cancellation' }],
  };

  channels['issueTask'] = {
    address: ISSUE_TASK_SUBJECT,
    title: 'issue task (internal: gateway → scheduler)',
    description: `Not for nodes. Request/reply to the scheduler replicas' queue group \`${SCHEDULER_QUEUE_GROUP}\`: IssueTaskRequest → IssueTaskReply. The gateway names the task, so a retried request is the same task; the scheduler replies only once TaskIssued is in the event store.`,
    messages: {
      IssueTaskRequest: messageReference('IssueTaskRequest'),
      IssueTaskReply: messageReference('IssueTaskReply'),
    },
    tags: [{ name: 'internal' }],
  };
  channels['issueTaskBatch'] = {
    address: ISSUE_TASK_BATCH_SUBJECT,
    title: 'issue a batch of tasks (internal: gateway → scheduler)',
    description: `Not for nodes. Request/reply to the scheduler replicas' queue group \`${SCHEDULER_QUEUE_GROUP}\`: IssueTaskBatchRequest → IssueTaskBatchReply. Up to ${MAX_ISSUE_TASK_BATCH} tasks of one function, each named by the gateway and recorded or refused on its own; the reply lists every outcome in order, once the recorded tasks are in the event store.`,
    messages: {
      IssueTaskBatchRequest: messageReference('IssueTaskBatchRequest'),
      IssueTaskBatchReply: messageReference('IssueTaskBatchReply'),
    },
    tags: [{ name: 'internal' }],
  };
  channels['leaderIssueTask'] = {
    address: LEADER_ISSUE_TASK_SUBJECT,
    title: 'issue task, handed to the leader (internal: scheduler → scheduler)',
    description:
      'Not for nodes. A standby scheduler hands an IssueTask request it took from the queue group on to the leading replica, body and headers as they came, so that the leader records the task with its assignment in one append; only the leader listens. The reply goes back to the gateway as the standby got it. With no answer in time (no leader, a paused one) the standby records the task itself.',
    messages: {
      IssueTaskRequest: messageReference('IssueTaskRequest'),
      IssueTaskReply: messageReference('IssueTaskReply'),
    },
    tags: [{ name: 'internal' }],
  };
  channels['leaderIssueTaskBatch'] = {
    address: LEADER_ISSUE_TASK_BATCH_SUBJECT,
    title: 'issue a batch of tasks, handed to the leader (internal: scheduler → scheduler)',
    description: 'Not for nodes. As the leaderIssueTask channel, for IssueTaskBatch requests.',
    messages: {
      IssueTaskBatchRequest: messageReference('IssueTaskBatchRequest'),
      IssueTaskBatchReply: messageReference('IssueTaskBatchReply'),
    },
    tags: [{ name: 'internal' }],
  };
  channels['taskNotification'] = {
    address: taskNotificationSubject(TASK_ID).replace(TASK_ID, '{taskId}'),
    title: 'task notification (internal: scheduler and projector → gateways)',
    description:
      "Not for nodes. Published by the scheduler once a task's result or failure is recorded in the event store, carrying the task's account and the outcome (a response body over 64 KiB of base64 is left out), and by the projector once it is in the read models; gateways wake the requests waiting for it and may answer them with the outcome carried.",
    parameters: { taskId: { description: 'The task: 24 lower-case hex characters' } },
    messages: { TaskNotification: messageReference('TaskNotification') },
    tags: [{ name: 'internal' }],
  };

  channels['cancelTask'] = {
    address: CANCEL_TASK_SUBJECT,
    title: 'cancel task (internal: gateway → scheduler)',
    description: `Not for nodes. Request/reply to the scheduler replicas' queue group \`${SCHEDULER_QUEUE_GROUP}\`: CancelTaskRequest → CancelTaskReply. The replica records the cancellation (or finds the task ended), replies how the task ended, and sends the node of the running attempt a cancellation.`,
    messages: {
      CancelTaskRequest: messageReference('CancelTaskRequest'),
      CancelTaskReply: messageReference('CancelTaskReply'),
    },
    tags: [{ name: 'internal' }],
  };
  for (const [name, address, request, reply, first] of [
    ['issueTaskAgain', ISSUE_TASK_AGAIN_SUBJECT, 'IssueTaskRequest', 'IssueTaskReply', 'issueTask'],
    [
      'issueTaskBatchAgain',
      ISSUE_TASK_BATCH_AGAIN_SUBJECT,
      'IssueTaskBatchRequest',
      'IssueTaskBatchReply',
      'issueTaskBatch',
    ],
    [
      'cancelTaskAgain',
      CANCEL_TASK_AGAIN_SUBJECT,
      'CancelTaskRequest',
      'CancelTaskReply',
      'cancelTask',
    ],
  ] as const) {
    channels[name] = {
      address,
      title: `${first}, asked again (internal: gateway → every scheduler)`,
      description: `Not for nodes. The request of the ${first} channel asked again, after the queue group's pick did not answer in time or answered UNAVAILABLE: every replica listens here, outside the queue group, since the one that did not answer may be the one the group would pick again. The first reply is the answer; the others answer a repeat of the same command.`,
      messages: { [request]: messageReference(request), [reply]: messageReference(reply) },
      tags: [{ name: 'internal' }],
    };
  }
  channels['taskEventNotice'] = {
    address: taskEventNoticeSubject(TASK_ID).replace(TASK_ID, '{taskId}'),
    title: 'task event notice (internal: scheduler → gateways)',
    description:
      "Not for nodes. Published after every append to a task's stream; a gateway listens only while it streams that task's history to a client.",
    parameters: { taskId: { description: 'The task: 24 lower-case hex characters' } },
    messages: { TaskEventNotice: messageReference('TaskEventNotice') },
    tags: [{ name: 'internal' }],
  };

  return {
    asyncapi: '3.0.0',
    id: 'urn:canopy:node-protocol',
    info: {
      title: 'Canopy node protocol',
      version: '1.0.0',
      description: `How worker nodes and the Canopy scheduler talk over NATS. Every message is a UTF-8 JSON document; schemas are generated from the zod schemas in \`libs/contracts/src/nats/\`, subjects from \`subjects.ts\`.

A node announces itself, then heartbeats at the interval the announcement reply names. It receives assignments on its own subject, answers each one (accept or reject), runs the function, and reports progress and the result. Every report is a request retried until acknowledged and deduplicated by its \`reportId\`; an acknowledgement with \`retry: false\` is final. Ids: task, function and account ids are 24 lower-case hex characters, \`reportId\` a UUID, times ISO 8601 UTC with \`Z\`, bodies padded standard base64.

Replies go to the requester's inbox: a node must connect with the inbox prefix \`${nodeInboxPrefix(NODE_ID).replace(NODE_ID, '<nodeId>')}\`, since its permissions let it read only its own inbox.`,
      tags: [
        {
          name: 'internal',
          description: 'Between Canopy services; nodes neither send nor receive these',
        },
      ],
    },
    defaultContentType: 'application/json',
    servers: {
      nats: {
        host: 'localhost:4222',
        protocol: 'nats',
        description:
          "The deployment's NATS cluster (`NATS_URL`; `tls://` in production). JetStream is not needed by nodes: every message here is core NATS.",
        security: [{ $ref: '#/components/securitySchemes/nodeCredentials' }],
      },
    },
    channels,
    operations,
    components: {
      messages: Object.fromEntries(
        (Object.keys(messages) as MessageName[]).map((name) => [name, messageObject(name)]),
      ),
      securitySchemes: {
        nodeCredentials: {
          type: 'asymmetricEncryption',
          description: `NATS user credentials (a \`.creds\` file): a user JWT issued for the node, and the node's nkey seed that signs the server's nonce. Each node is limited to its own subjects: publish \`canopy.node.<nodeId>.>\` only, subscribe \`canopy.assign.<nodeId>\`, \`canopy.cancel.<nodeId>\` and \`_INBOX_<nodeId>.>\` only, and reply to the requests it receives (see nodePermissions).`,
        },
      },
    },
  };
}

// NATS puts the reply subject in the message itself (not a header); AsyncAPI has no runtime
// expression for it, so the conventional `replyTo` is named and described.
const replyAddress = {
  location: '$message.header#/replyTo',
  description: "The request's NATS reply subject",
};

function messageReference(name: MessageName): Json {
  return { $ref: `#/components/messages/${name}` };
}

function messageObject(name: MessageName): Json {
  const message: MessageDescription = messages[name];
  return {
    name,
    title: message.title,
    summary: message.summary,
    contentType: 'application/json',
    payload: payloadSchema(message.schema),
    ...(message.example === undefined
      ? {}
      : { examples: [{ payload: acceptedExample(name, message.schema, message.example) }] }),
  };
}

// The document never shows an example its own schema refuses: building it fails instead.
function acceptedExample(name: MessageName, schema: z.ZodType, example: unknown): unknown {
  const parsed = schema.safeParse(example);
  if (!parsed.success) {
    throw new Error(
      `the ${name} example is refused by its schema: ${z.prettifyError(parsed.error)}`,
    );
  }
  return example;
}

// AsyncAPI's default schema format is a superset of JSON Schema draft-07. `input`: what the receiver's
// parse accepts (unknown fields are dropped, not refused).
function payloadSchema(schema: z.ZodType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-07',
    io: 'input',
    unrepresentable: 'any',
  }) as Json;
  return rest;
}

function nodeAddress(subject: string): string {
  return subject.replace(NODE_ID, '{nodeId}');
}

function capitalized(word: string): string {
  return `${word.charAt(0).toUpperCase()}${word.slice(1)}`;
}

/** The committed form of the document (see {@link documentJson}). */
export function nodeProtocolAsyncApiJson(): string {
  return documentJson(nodeProtocolAsyncApi());
}
