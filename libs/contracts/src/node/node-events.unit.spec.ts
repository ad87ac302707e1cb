import { ContractViolationError } from '../contract-violation.js';
import { nodeEvent, nodeStreamId, parseNodeEvent } from './node-events.js';

describe('node events', () => {
  const announced = () =>
    nodeEvent('NodeAnnounced', {
      nodeId: 'node-1',
      capabilities: { cpuCount: 4, memSize: 8192, networkLatency: 5, privileged: false },
      slots: 8,
      agent: 'canopy-node-agent/0.1.0',
      at: '2026-11-29T10:00:00Z',
    });

  test('a valid NodeAnnounced parses back to itself', () => {
    expect(parseNodeEvent(announced())).toEqual(announced());
  });

  test('zero slots are rejected naming the field', () => {
    const event = announced();
    try {
      parseNodeEvent({ ...event, data: { ...event.data, slots: 0 } });
      throw new Error('expected a ContractViolationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ContractViolationError);
      expect((error as ContractViolationError).field).toBe('data.slots');
    }
  });

  test('a node id that is not a subject token is rejected', () => {
    const event = nodeEvent('NodeLeft', { nodeId: 'a.b', at: '2026-11-29T10:00:00Z' });
    expect(() => parseNodeEvent(event)).toThrow(ContractViolationError);
  });

  const registered = () =>
    nodeEvent('NodeRegistered', {
      nodeId: '0123456789abcdef01234567',
      accountId: '64057f3c9956fae80d7e0e84',
      hash: 'rack-7_gpu',
      description: 'the GPU box',
      userPublicKey: `U${'A'.repeat(55)}`,
      at: '2026-11-30T12:00:00Z',
    });

  test('registration and the owner changes parse back to themselves', () => {
    const owner = {
      nodeId: '0123456789abcdef01234567',
      accountId: '64057f3c9956fae80d7e0e84',
      at: '2026-11-30T12:00:00Z',
    };
    for (const event of [
      registered(),
      nodeEvent('NodeDisabled', owner),
      nodeEvent('NodeEnabled', owner),
      nodeEvent('NodeDescribed', { ...owner, description: '' }),
    ])
      expect(parseNodeEvent(event)).toEqual(event);
  });

  test.each([
    ['data.hash', { hash: 'a.b' }],
    ['data.hash', { hash: '' }],
    ['data.description', { description: 'x'.repeat(501) }],
    ['data.userPublicKey', { userPublicKey: `N${'A'.repeat(55)}` }],
    ['data.accountId', { accountId: 'not-an-account' }],
  ])('a registration with a bad %s is rejected naming it', (field, change) => {
    const event = registered();
    try {
      parseNodeEvent({ ...event, data: { ...event.data, ...change } });
      throw new Error('expected a ContractViolationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ContractViolationError);
      expect((error as ContractViolationError).field).toBe(field);
    }
  });

  test('streams are named after the node', () => {
    expect(nodeStreamId('node-1')).toBe('node-node-1');
  });
});
