import type { Msg } from '@nats-io/transport-node';
import {
  JsonReplySerializer,
  RawMessageDeserializer,
  SubjectRoutedNatsServer,
} from './raw-json-transport.js';

const message = (reply: string | undefined): Msg =>
  ({ subject: 'canopy.node.n1.progress', reply, data: new TextEncoder().encode('{"a"') }) as Msg;

describe('the plain JSON protocol on Nest', () => {
  test('a request reaches its handler as the raw body, under the subscribed pattern', () => {
    const deserializer = new RawMessageDeserializer();
    const incoming = deserializer.deserialize(message('_INBOX.1'), {
      channel: 'canopy.node.*.progress',
      replyTo: '_INBOX.1',
    });
    expect(incoming).toEqual({
      pattern: 'canopy.node.*.progress',
      data: new TextEncoder().encode('{"a"'),
      id: expect.any(String),
    });
    const next = deserializer.deserialize(message('_INBOX.2'), { replyTo: '_INBOX.2' });
    expect(next).toMatchObject({ pattern: 'canopy.node.n1.progress' });
    expect((next as { id: string }).id).not.toBe((incoming as { id: string }).id);
  });

  test('a message without a reply subject is an event: no id', () => {
    const incoming = new RawMessageDeserializer().deserialize(message(undefined), {
      channel: 'canopy.node.*.progress',
    });
    expect(incoming).not.toHaveProperty('id');
  });

  test('the reply is the handler’s value alone, without Nest’s envelope', () => {
    const serializer = new JsonReplySerializer();
    expect(serializer.serialize({ id: '7', response: { ok: true }, isDisposed: true })).toEqual({
      data: '{"ok":true}',
    });
  });

  test('an error that escaped a handler becomes INTERNAL, without its details', () => {
    const { data } = new JsonReplySerializer().serialize({
      id: '7',
      err: new Error('at /srv/secret.js:1'),
    });
    expect(JSON.parse(data)).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'the scheduler failed to handle the request' },
      retry: true,
    });
  });
});

describe('the NATS server routing by subject', () => {
  test('finds the handler registered for a subject, wildcards included', () => {
    const server = new SubjectRoutedNatsServer({});
    const handler = async (): Promise<string> => 'handled';
    server.addHandler('canopy.node.*.progress', handler);
    expect(server.getHandlerByPattern('canopy.node.*.progress')).toBe(handler);
    expect(server.getHandlerByPattern('canopy.node.*.result')).toBeNull();
  });

  test('a subject is never read as JSON, even one that is valid JSON', () => {
    const server = new SubjectRoutedNatsServer({});
    const handler = async (): Promise<string> => 'handled';
    server.addHandler('true', handler);
    expect(server.getHandlerByPattern('true')).toBe(handler);
  });
});
