import {
  base64Schema,
  isNodeId,
  isObjectId,
  nodeIdSchema,
  objectIdSchema,
  utcTimeSchema,
} from './identifiers.js';

describe('identifiers', () => {
  test.each(['6404b3da46551827c611ffe5', '000000000000000000000000'])(
    'accepts the object id %s',
    (id) => {
      expect(isObjectId(id)).toBe(true);
      expect(objectIdSchema.safeParse(id).success).toBe(true);
    },
  );

  test.each([
    '6404B3DA46551827C611FFE5',
    '6404b3da46551827c611ffe',
    '6404b3da46551827c611ffe5a',
    '6404b3da46551827c611ffzz',
    '',
  ])('rejects the object id %j', (id) => {
    expect(isObjectId(id)).toBe(false);
    expect(objectIdSchema.safeParse(id).success).toBe(false);
  });

  test.each(['n1', 'node_A-9', 'x'.repeat(64), '1a061cfd-df01-4b02-a067-5122c5941e15'])(
    'accepts the node id %s',
    (id) => {
      expect(isNodeId(id)).toBe(true);
      expect(nodeIdSchema.safeParse(id).success).toBe(true);
    },
  );

  test.each(['', 'a.b', 'a b', '*', '>', 'a>', 'x'.repeat(65), 'nœud', 'a\n'])(
    'rejects the node id %j',
    (id) => {
      expect(isNodeId(id)).toBe(false);
      expect(nodeIdSchema.safeParse(id).success).toBe(false);
    },
  );

  test.each(['2024-06-22T21:05:48Z', '2024-06-22T21:05:48.123Z'])(
    'accepts the UTC time %s',
    (time) => {
      expect(utcTimeSchema.safeParse(time).success).toBe(true);
    },
  );

  test.each([
    '2024-06-22T21:05:48+02:00',
    '2024-06-22T21:05:48',
    '2024-06-22',
    '2025-24-03T00:00:00Z',
    '2024-02-30T00:00:00Z',
    '1678087212',
  ])('rejects the time %s', (time) => {
    expect(utcTimeSchema.safeParse(time).success).toBe(false);
  });

  test.each(['', 'aGk=', 'AAECAwQ='])('accepts the base64 %j', (body) => {
    expect(base64Schema.safeParse(body).success).toBe(true);
  });

  test.each(['aGk', 'a b=', 'hello!', '===='])('rejects the base64 %j', (body) => {
    expect(base64Schema.safeParse(body).success).toBe(false);
  });
});
