import { nodePermissions } from '@canopy/contracts';
import { decode } from '@nats-io/jwt';
import { createNatsAuthority, type NatsAuthoritySecrets } from './authority.js';
import { authorityPublicKeys } from './authority-keys.js';
import {
  describeCredentials,
  issueNodeCredentials,
  issueServiceCredentials,
  issueSystemCredentials,
} from './credentials.js';
import { natsServerConfig } from './server-config.js';

let authority: NatsAuthoritySecrets;

beforeAll(async () => {
  authority = await createNatsAuthority();
});

function userClaims(creds: string) {
  const jwt = /-----BEGIN NATS USER JWT-----\n(.+)\n/.exec(creds)?.[1] ?? '';
  return decode<Record<string, unknown>>(jwt);
}

describe('node credentials', () => {
  test('a user of the CANOPY account named after the node, with exactly the node permissions', async () => {
    const issued = await issueNodeCredentials(authority, 'node-7');
    const claims = userClaims(issued.creds);
    const keys = authorityPublicKeys(authority);
    const permissions = nodePermissions('node-7');
    expect(claims).toMatchObject({
      name: 'node-7',
      sub: issued.publicKey,
      iss: keys.accountSigningKey,
    });
    expect(claims.nats).toMatchObject({
      issuer_account: keys.account,
      pub: { allow: permissions.publish.allow },
      sub: { allow: permissions.subscribe.allow },
      resp: { max: 1 },
      type: 'user',
    });
    expect(issued.creds).toMatch(/-----BEGIN USER NKEY SEED-----\nSU[A-Z2-7]+\n/);
  });

  test('each issue is a new user', async () => {
    const [first, second] = await Promise.all([
      issueNodeCredentials(authority, 'n1'),
      issueNodeCredentials(authority, 'n1'),
    ]);
    expect(first.publicKey).not.toBe(second.publicKey);
  });

  test('an id that is not one subject token is refused', async () => {
    await expect(issueNodeCredentials(authority, 'a.b')).rejects.toThrow(/nodeId/);
    await expect(issueNodeCredentials(authority, '*')).rejects.toThrow(/nodeId/);
  });
});

describe('service credentials', () => {
  test.each([
    [
      'gateway',
      [
        'canopy.cmd.task.issue',
        'canopy.cmd.task.issue-batch',
        'canopy.cmd.task.cancel',
        'canopy.cmd.again.task.issue',
        'canopy.cmd.again.task.issue-batch',
        'canopy.cmd.again.task.cancel',
        'canopy.cmd.leader.function.changed',
      ],
      { allow: ['canopy.notify.task.*', 'canopy.notify.task.*.events', '_INBOX.>'] },
      false,
    ],
    [
      'scheduler',
      [
        'canopy.cmd.leader.task.issue',
        'canopy.cmd.leader.task.issue-batch',
        'canopy.assign.*',
        'canopy.cancel.*',
        'canopy.notify.task.*',
        'canopy.notify.task.*.events',
      ],
      { allow: ['canopy.cmd.>', 'canopy.node.*.>', '_INBOX.>'] },
      true,
    ],
    ['projector', ['canopy.notify.>'], { deny: ['>'] }, false],
    ['cli', ['canopy.cmd.task.issue'], { allow: ['_INBOX.>'] }, false],
  ] as const)(
    '%s may publish %j and subscribe %j',
    async (service, publish, subscribe, responds) => {
      const claims = userClaims((await issueServiceCredentials(authority, service)).creds);
      expect(claims.name).toBe(`canopy-${service}`);
      expect(claims.nats).toMatchObject({ pub: { allow: publish }, sub: subscribe });
      expect('resp' in (claims.nats as object)).toBe(responds);
    },
  );

  test('an unknown service is refused', async () => {
    await expect(issueServiceCredentials(authority, 'admin' as unknown as 'cli')).rejects.toThrow(
      /unknown platform service "admin"/,
    );
  });

  test('system credentials belong to the system account', async () => {
    const claims = userClaims((await issueSystemCredentials(authority)).creds);
    expect(claims.iss).toBe(authorityPublicKeys(authority).systemAccount);
  });
});

describe('describeCredentials', () => {
  test('reads the name and public key of the user', async () => {
    const issued = await issueNodeCredentials(authority, 'edge-1');
    expect(describeCredentials(issued.creds)).toEqual({
      name: 'edge-1',
      publicKey: issued.publicKey,
    });
  });

  test('anything else is refused', () => {
    expect(() => describeCredentials('hello')).toThrow(/not NATS credentials/);
    expect(() =>
      describeCredentials('-----BEGIN NATS USER JWT-----\na.b.c\n------END NATS USER JWT------'),
    ).toThrow(/not NATS credentials/);
  });
});

describe('natsServerConfig', () => {
  test('trusts the operator, names the system account and preloads both accounts', () => {
    const keys = authorityPublicKeys(authority);
    const config = natsServerConfig(authority, {
      host: '0.0.0.0',
      port: 4222,
      storeDir: '/data',
      resolverDir: '/data/accounts',
      monitorPort: 8222,
    });
    expect(config).toContain(`operator: ${authority.operatorJwt}`);
    expect(config).toContain(`system_account: ${keys.systemAccount}`);
    expect(config).toContain(`${keys.account}: ${authority.accountJwt}`);
    expect(config).toContain(`${keys.systemAccount}: ${authority.systemAccountJwt}`);
    expect(config).toMatch(/resolver: \{\n {2}type: full\n {2}dir: "\/data\/accounts"/);
    expect(config).toContain('http_port: 8222');
    expect(config).toContain('host: "0.0.0.0"');
    expect(config).not.toContain(authority.operatorSeed);
    expect(config).not.toContain(authority.accountSigningKeySeed);
  });
});
