import { messageTraffic } from './nats-connections.js';

describe('messageTraffic', () => {
  test('sums what each group exchanged between the readings; new connections count from zero', () => {
    const before = [
      { cid: 1, name: 'canopy-gateway', published: 10, delivered: 5 },
      { cid: 2, name: 'canopy-node a', published: 3, delivered: 3 },
      { cid: 9, name: 'gone', published: 1, delivered: 1 },
    ];
    const after = [
      { cid: 1, name: 'canopy-gateway', published: 110, delivered: 105 },
      { cid: 2, name: 'canopy-node a', published: 53, delivered: 43 },
      { cid: 3, name: 'canopy-node b', published: 20, delivered: 30 },
      { cid: 4, name: 'probe', published: 7, delivered: 7 },
    ];
    const groupOf = (name: string) =>
      name.startsWith('canopy-node ') ? 'nodes' : name === 'probe' ? undefined : name;
    expect(messageTraffic(before, after, groupOf)).toEqual([
      { group: 'canopy-gateway', connections: 1, published: 100, delivered: 100 },
      { group: 'nodes', connections: 2, published: 70, delivered: 70 },
    ]);
  });
});
