import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  NatsAuthorityFileError,
  createNatsAuthority,
  loadNatsAuthority,
  loadOrCreateNatsAuthority,
  saveNatsAuthority,
} from './authority.js';

describe('the NATS authority file', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'canopy-nats-authority-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('round-trips through a file only its owner can read', async () => {
    const file = path.join(dir, 'nested', 'authority.json');
    const authority = await createNatsAuthority();
    await saveNatsAuthority(file, authority);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await loadNatsAuthority(file)).toEqual(authority);
  });

  test('is created once and then reused', async () => {
    const file = path.join(dir, 'authority.json');
    const first = await loadOrCreateNatsAuthority(file);
    const second = await loadOrCreateNatsAuthority(file);
    expect(second).toEqual(first);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(first);
  });

  test.each([
    ['not JSON', '{ seeds', /it is not JSON/],
    ['JSON of another shape', '[]', /\(file\)|format/],
    ['a wrong format', JSON.stringify({ format: 'something/9' }), /format/],
  ])('%s is refused with an error naming the file', async (_case, text, problem) => {
    const file = path.join(dir, 'authority.json');
    await writeFile(file, text);
    const loading = loadNatsAuthority(file);
    await expect(loading).rejects.toBeInstanceOf(NatsAuthorityFileError);
    await expect(loading).rejects.toThrow(`NATS authority file ${file} is not usable`);
    await expect(loading).rejects.toThrow(problem);
  });

  test('a seed of the wrong kind is refused, naming the field', async () => {
    const file = path.join(dir, 'authority.json');
    const authority = await createNatsAuthority();
    await writeFile(file, JSON.stringify({ ...authority, operatorSeed: authority.accountSeed }));
    await expect(loadNatsAuthority(file)).rejects.toThrow(
      /operatorSeed: must be an operator nkey seed/,
    );
  });

  test('a missing file is refused, naming it', async () => {
    const file = path.join(dir, 'absent.json');
    await expect(loadNatsAuthority(file)).rejects.toThrow(
      `NATS authority file ${file} is not usable: it does not exist`,
    );
  });
});
