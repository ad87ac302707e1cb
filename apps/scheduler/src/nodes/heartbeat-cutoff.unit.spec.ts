import { heartbeatCoversAssignmentsBefore } from './heartbeat-cutoff.js';

const timings = { offerTimeoutMs: 2_000, heartbeatIntervalMs: 1_000, heartbeatTimeoutMs: 5_000 };
const receivedAtMs = Date.parse('2026-12-05T12:00:10Z');

describe('the assignments a heartbeat speaks for', () => {
  test('a heartbeat that arrives as it is sent covers assignments older than the offer timeout and an interval', () => {
    expect(heartbeatCoversAssignmentsBefore(receivedAtMs, '2026-12-05T12:00:10Z', timings)).toBe(
      receivedAtMs - 3_000,
    );
  });

  test('a heartbeat that arrives late counts from when it was composed', () => {
    // Composed 4 s before it arrived: an attempt assigned 6 s before arrival (after the heartbeat
    // was composed, minus the allowances) is not judged by it.
    const cutoff = heartbeatCoversAssignmentsBefore(receivedAtMs, '2026-12-05T12:00:06Z', timings);
    expect(cutoff).toBe(receivedAtMs - 7_000);
    expect(receivedAtMs - 6_000 < cutoff).toBe(false);
  });

  test("a node's clock ahead of the scheduler's gains nothing", () => {
    expect(heartbeatCoversAssignmentsBefore(receivedAtMs, '2026-12-05T12:01:00Z', timings)).toBe(
      receivedAtMs - 3_000,
    );
  });

  test("a node's clock far behind is believed only a heartbeat timeout back", () => {
    expect(heartbeatCoversAssignmentsBefore(receivedAtMs, '2026-12-05T11:00:00Z', timings)).toBe(
      receivedAtMs - 5_000 - 3_000,
    );
  });

  test('an announcement, which carries no time, counts from its arrival', () => {
    expect(heartbeatCoversAssignmentsBefore(receivedAtMs, undefined, timings)).toBe(
      receivedAtMs - 3_000,
    );
  });
});
