import { documentJson } from './document-json.js';

describe('documentJson', () => {
  test('sorts keys at every level, whatever order they were built in', () => {
    expect(documentJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe(
      documentJson({ a: { c: null, d: [{ y: 2, z: 1 }] }, b: 1 }),
    );
    expect(documentJson({ b: 1, a: 2 })).toBe('{\n  "a": 2,\n  "b": 1\n}\n');
  });

  test("keeps the code's order of a schema's properties and of examples", () => {
    const text = documentJson({
      properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 } },
      example: { zeta: 1, alpha: 2 },
    });
    expect(text.indexOf('"name"')).toBeLessThan(text.indexOf('"age"'));
    expect(text.indexOf('"zeta"')).toBeLessThan(text.indexOf('"alpha"'));
    // Inside a property the keys are sorted again.
    expect(text.indexOf('"minimum"')).toBeLessThan(text.indexOf('"type": "integer"'));
  });
});
