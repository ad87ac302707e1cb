import { requirementsText } from './node-requirements.js';

const none = { cpuCount: 0, memSize: 0, networkLatency: 0, privileged: false };

test('a function that needs nothing in particular runs on any node', () => {
  expect(requirementsText(none)).toBe('any node');
});

test('names each requirement that is set, in a fixed order', () => {
  expect(
    requirementsText({ cpuCount: 2, memSize: 512, networkLatency: 20, privileged: true }),
  ).toBe('cpu 2, mem 512 MiB, latency ≤ 20 ms, privileged');
  expect(requirementsText({ ...none, memSize: 256 })).toBe('mem 256 MiB');
});
