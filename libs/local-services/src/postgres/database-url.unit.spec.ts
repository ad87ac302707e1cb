import { assertDatabaseName, databaseUrl } from './database-url.js';

describe('databaseUrl', () => {
  test('replaces the database and keeps credentials and options', () => {
    expect(databaseUrl('postgres://app:pw@db:5433/postgres?sslmode=require', 'canopy')).toBe(
      'postgres://app:pw@db:5433/canopy?sslmode=require',
    );
  });

  test('encodes names that are not plain words', () => {
    expect(databaseUrl('postgres://postgres@127.0.0.1:5432/postgres', 'canopy dev')).toBe(
      'postgres://postgres@127.0.0.1:5432/canopy%20dev',
    );
  });
});

describe('assertDatabaseName', () => {
  test('refuses names PostgreSQL would truncate', () => {
    expect(() => assertDatabaseName('x'.repeat(63))).not.toThrow();
    expect(() => assertDatabaseName('x'.repeat(64))).toThrow(/63-byte/);
    expect(() => assertDatabaseName('')).toThrow(/empty/);
  });
});
