import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Parser } from '@asyncapi/parser';
import { nodeProtocolAsyncApi, nodeProtocolAsyncApiJson } from './node-protocol-asyncapi.js';
import { nodePermissions, nodeReportKinds, parseNodeReportSubject } from './subjects.js';

const committedPath = fileURLToPath(new URL('../../../../docs/asyncapi.json', import.meta.url));

interface Channel {
  readonly address: string | null;
  readonly messages: Record<string, unknown>;
}
interface Operation {
  readonly action: 'send' | 'receive';
  readonly channel: { readonly $ref: string };
  readonly messages: readonly { readonly $ref: string }[];
  readonly reply?: { readonly messages: readonly { readonly $ref: string }[] };
}
interface Message {
  readonly payload: object;
  readonly examples?: readonly { readonly payload: unknown }[];
}

const document = nodeProtocolAsyncApi() as {
  channels: Record<string, Channel>;
  operations: Record<string, Operation>;
  components: { messages: Record<string, Message> };
};

describe('the node protocol AsyncAPI document', () => {
  test('docs/asyncapi.json is what the code generates now', () => {
    if (readFileSync(committedPath, 'utf8') !== nodeProtocolAsyncApiJson()) {
      throw new Error(
        'docs/asyncapi.json is out of date with the contracts: run `npm run docs:asyncapi` and commit the file',
      );
    }
  });

  test('is a valid AsyncAPI document for @asyncapi/parser', async () => {
    const { document: parsed, diagnostics } = await new Parser().parse(
      readFileSync(committedPath, 'utf8'),
    );
    // Severity 0 is an error, 1 a warning; 2 and 3 are information and hints.
    const problems = diagnostics
      .filter((diagnostic) => diagnostic.severity <= 1)
      .map((diagnostic) => `${diagnostic.path.join('.')}: ${diagnostic.message}`);
    expect(problems).toEqual([]);
    expect(parsed?.version()).toBe('3.0.0');
    expect(
      parsed
        ?.channels()
        .all()
        .map((channel) => channel.address()),
    ).toEqual(expect.arrayContaining(['canopy.node.{nodeId}.result', 'canopy.assign.{nodeId}']));
  });

  test('every report kind has a channel whose address is a report subject', () => {
    for (const kind of nodeReportKinds) {
      const channel = Object.values(document.channels).find((candidate) =>
        candidate.address?.endsWith(`.${kind}`),
      );
      expect(channel).toBeDefined();
      expect(
        parseNodeReportSubject((channel?.address ?? '').replace('{nodeId}', 'edge-1')),
      ).toEqual({
        nodeId: 'edge-1',
        kind,
      });
    }
  });

  test("a node's permissions allow every operation of a node", () => {
    const permissions = nodePermissions('edge-1');
    const allows = (patterns: readonly string[], subject: string) =>
      patterns.some((pattern) => subjectMatches(pattern, subject));
    for (const [name, operation] of Object.entries(document.operations)) {
      const channelName = operation.channel.$ref.replace('#/channels/', '');
      const subject = document.channels[channelName]?.address?.replace('{nodeId}', 'edge-1') ?? '';
      const allowed =
        operation.action === 'send'
          ? allows(permissions.publish.allow, subject)
          : allows(permissions.subscribe.allow, subject);
      expect({ name, subject, allowed }).toEqual({ name, subject, allowed: true });
    }
  });

  test('every message a node sends or receives has one example, which its schema accepts', () => {
    // Building the document parses every example with its message's schema and fails on a refusal,
    // so the examples `document` holds are accepted ones.
    const nodeMessages = new Set(
      Object.values(document.operations).flatMap((operation) =>
        [...operation.messages, ...(operation.reply?.messages ?? [])].map(
          (message) => message.$ref.split('/').at(-1) ?? '',
        ),
      ),
    );
    expect(nodeMessages.size).toBe(11);
    for (const name of nodeMessages) {
      const examples = document.components.messages[name]?.examples ?? [];
      expect({ name, examples: examples.length }).toEqual({ name, examples: 1 });
    }
  });
});

/** NATS subject matching: `*` is one token, a final `>` one or more. */
function subjectMatches(pattern: string, subject: string): boolean {
  const patternTokens = pattern.split('.');
  const subjectTokens = subject.split('.');
  for (const [index, token] of patternTokens.entries()) {
    if (token === '>') return subjectTokens.length > index;
    if (index >= subjectTokens.length) return false;
    if (token !== '*' && token !== subjectTokens[index]) return false;
  }
  return patternTokens.length === subjectTokens.length;
}
