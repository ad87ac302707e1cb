import { redactConnectionUrl } from './connection-url.js';

describe('redactConnectionUrl', () => {
  test('hides the password and keeps everything else', () => {
    expect(
      redactConnectionUrl('postgres://app:s3cret@db.example:5433/canopy?sslmode=require'),
    ).toBe('postgres://app:***@db.example:5433/canopy?sslmode=require');
  });

  test('leaves a URL without a password as it is', () => {
    expect(redactConnectionUrl('postgres://postgres@127.0.0.1:5432/postgres')).toBe(
      'postgres://postgres@127.0.0.1:5432/postgres',
    );
  });

  test('never echoes something it cannot parse', () => {
    expect(redactConnectionUrl('host=db user=app password=s3cret')).toBe('<invalid URL>');
    expect(redactConnectionUrl('app:s3cret@db:5432')).toBe('<invalid URL>');
    expect(redactConnectionUrl('postgres://app:s3cret@db:notaport/x')).toBe('<invalid URL>');
  });
});
