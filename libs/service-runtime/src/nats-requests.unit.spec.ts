import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';
import { whyUnanswered } from './nats-requests.js';

describe('whyUnanswered', () => {
  test('tells a timeout, nobody listening and every other failure apart', () => {
    expect(whyUnanswered(new TimeoutError())).toBe('timed_out');
    expect(
      whyUnanswered(new RequestError('no responders', { cause: new NoRespondersError('s') })),
    ).toBe('no_responders');
    expect(whyUnanswered(new RequestError('Permissions Violation for Publish to "s"'))).toBe(
      'failed',
    );
    expect(whyUnanswered(new Error('connection closed'))).toBe('failed');
    expect(whyUnanswered('not an error')).toBe('failed');
  });
});
