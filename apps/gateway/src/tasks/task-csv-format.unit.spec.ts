import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { csvRecord, csvStringifier, csvTime, neutraliseCell } from './task-csv-format.js';

const row = {
  taskId: '66773caefe3f89cf057bedcf',
  issuedAt: new Date('2024-06-22T21:05:48.765Z'),
  status: 200,
  contentType: 'text/plain',
  body: Buffer.from('I am a storage Test!'),
};

async function csv(records: string[][]): Promise<string> {
  return text(Readable.from(records).pipe(csvStringifier()));
}

describe('CSV cells', () => {
  test.each(['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx'])('%j is neutralised', (value) => {
    expect(neutraliseCell(value)).toBe(`'${value}`);
  });

  test.each(['', 'plain', ' =1', "'already", '1-2', 'a@b'])('%j is left alone', (value) => {
    expect(neutraliseCell(value)).toBe(value);
  });

  test('times are RFC 3339 UTC to the second', () => {
    expect(csvTime(row.issuedAt)).toBe('2024-06-22T21:05:48Z');
  });
});

describe('CSV records', () => {
  test('a finished task, body as base64 or as text', () => {
    expect(csvRecord(row, false)).toEqual([
      row.taskId,
      '2024-06-22T21:05:48Z',
      '200',
      'text/plain',
      'SSBhbSBhIHN0b3JhZ2UgVGVzdCE=',
    ]);
    expect(csvRecord(row, true)[4]).toBe('I am a storage Test!');
  });

  test('a task not finished has status 0 and empty content type and body', () => {
    expect(csvRecord({ ...row, status: 0, contentType: null, body: null }, true)).toEqual([
      row.taskId,
      '2024-06-22T21:05:48Z',
      '0',
      '',
      '',
    ]);
  });

  test('formula-looking bodies and content types are neutralised', () => {
    const hostile = { ...row, contentType: '=cmd', body: Buffer.from('=HYPERLINK("http://x")') };
    const [, , , contentType, body] = csvRecord(hostile, true);
    expect(contentType).toBe("'=cmd");
    expect(body).toBe('\'=HYPERLINK("http://x")');
  });

  test('a base64 body starting with + is neutralised too', () => {
    expect(csvRecord({ ...row, body: Buffer.from([0xfb, 0xff]) }, false)[4]).toBe("'+/8=");
  });
});

describe('CSV text', () => {
  test('has the header, CRLF line ends and RFC 4180 quoting', async () => {
    expect(
      await csv([
        ['a', 'b,c', 'say "hi"', 'line\nbreak', 'cr\ronly'],
        ['x', '', '', '', ''],
      ]),
    ).toBe(
      'ID,IssuedAt,Status,ContentType,Body\r\n' +
        'a,"b,c","say ""hi""","line\nbreak","cr\ronly"\r\n' +
        'x,,,,\r\n',
    );
  });

  test('an empty export is the header alone', async () => {
    expect(await csv([])).toBe('ID,IssuedAt,Status,ContentType,Body\r\n');
  });
});
