import { nodeProcessName, processGroup } from './process-names.js';

describe('nodeProcessName', () => {
  test('names a Canopy app by its folder, a node agent by its node id too', () => {
    expect(nodeProcessName(['/usr/bin/node', '/repo/apps/scheduler/dist/main.js'])).toBe(
      'scheduler',
    );
    expect(
      nodeProcessName([
        'node',
        '/repo/apps/node-agent/dist/main.js',
        '--node-id',
        'e2e-1',
        '--slots',
        '8',
      ]),
    ).toBe('node-agent e2e-1');
  });

  test('names any other Node script by its file, and nothing that is not Node', () => {
    expect(nodeProcessName(['node', '/repo/apps/platform-e2e/dist/bench/sdk-nodes.js'])).toBe(
      'sdk-nodes',
    );
    expect(nodeProcessName(['/usr/sbin/nats-server', '-c', 'server.conf'])).toBeUndefined();
    expect(nodeProcessName(['true'])).toBeUndefined();
  });
});

describe('processGroup', () => {
  test('sums node agents into one line', () => {
    expect(processGroup('node-agent e2e-1')).toBe('node agents');
    expect(processGroup('gateway')).toBe('gateway');
  });
});
