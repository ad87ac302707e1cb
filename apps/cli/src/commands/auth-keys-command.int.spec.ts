import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseSigningKeySet } from '@canopy/identity';
import { localSigningKeys, readSigningKeys } from '../local-stack/signing-keys.js';
import { runAuthKeys } from './auth-keys-command.js';

// The local signing key file and `canopy auth keys`, on a temporary data directory.

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'canopy-cli-keys-'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

test('a local stack gets a key file once, readable by its owner only', async () => {
  const first = await localSigningKeys({ dataDir });
  const file = path.join(dataDir, 'auth-signing-keys.json');
  expect(first).toEqual({ AUTH_SIGNING_KEYS_FILE: file });
  expect((await stat(file)).mode & 0o777).toBe(0o600);
  const created = await readFile(file, 'utf8');
  expect(parseSigningKeySet(created).keys).toHaveLength(1);

  await localSigningKeys({ dataDir });
  expect(await readFile(file, 'utf8')).toBe(created);
});

test('configured keys are passed on as they are, and no file is made', async () => {
  expect(await localSigningKeys({ dataDir, AUTH_SIGNING_KEYS: '{"keys":[]}' })).toEqual({
    AUTH_SIGNING_KEYS: '{"keys":[]}',
  });
  expect(
    await localSigningKeys({ dataDir, AUTH_SIGNING_KEYS_FILE: '/etc/canopy/keys.json' }),
  ).toEqual({ AUTH_SIGNING_KEYS_FILE: '/etc/canopy/keys.json' });
  expect(await readSigningKeys(path.join(dataDir, 'auth-signing-keys.json'))).toBeNull();
});

test('add, activate, retire rotate the file, and print no private key', async () => {
  await localSigningKeys({ dataDir });
  const config = { dataDir };
  const listed = await runAuthKeys(config, { command: 'list', kid: undefined });
  const oldKid = listed.active;
  expect(listed.keys).toEqual([{ kid: oldKid, createdAt: expect.any(String), active: true }]);

  const added = await runAuthKeys(config, { command: 'add', kid: undefined });
  const newKid = added.added ?? '';
  expect(added.active).toBe(oldKid);
  expect(added.keys.map((key) => [key.kid, key.active])).toEqual([
    [oldKid, true],
    [newKid, false],
  ]);
  await expect(runAuthKeys(config, { command: 'retire', kid: oldKid })).rejects.toThrow(
    /active key/,
  );

  expect((await runAuthKeys(config, { command: 'activate', kid: newKid })).active).toBe(newKid);
  const retired = await runAuthKeys(config, { command: 'retire', kid: oldKid });
  expect(retired.keys.map((key) => key.kid)).toEqual([newKid]);

  const file = path.join(dataDir, 'auth-signing-keys.json');
  const stored = parseSigningKeySet(await readFile(file, 'utf8'));
  expect(stored.active).toBe(newKid);
  expect((await stat(file)).mode & 0o777).toBe(0o600);
  for (const output of [listed, added, retired]) {
    expect(JSON.stringify(output)).not.toContain(stored.keys[0]?.d ?? 'no key');
    expect(JSON.stringify(output)).not.toMatch(/"d"/);
  }

  const rotated = await runAuthKeys(config, { command: 'rotate', kid: undefined });
  expect(rotated.active).toBe(rotated.added);
  expect(rotated.keys).toHaveLength(2);
});

test('a missing file is an error that says how to get one', async () => {
  await expect(runAuthKeys({ dataDir }, { command: 'list', kid: undefined })).rejects.toThrow(
    /canopy auth keys init/,
  );
});

test('init creates the configured file once, with one active key, readable by its owner only', async () => {
  const file = path.join(dataDir, 'deployment', 'signing-keys.json');
  const config = { dataDir, AUTH_SIGNING_KEYS_FILE: file };
  const created = await runAuthKeys(config, { command: 'init', kid: undefined });
  expect(created.keys).toEqual([
    { kid: created.active, createdAt: expect.any(String), active: true },
  ]);
  expect((await stat(file)).mode & 0o777).toBe(0o600);
  const text = await readFile(file, 'utf8');
  expect(parseSigningKeySet(text).active).toBe(created.active);
  expect(JSON.stringify(created)).not.toMatch(/"d"/);

  // A second init leaves the keys in use alone.
  expect((await runAuthKeys(config, { command: 'init', kid: undefined })).active).toBe(
    created.active,
  );
  expect(await readFile(file, 'utf8')).toBe(text);
});
