import { InFlightWork } from './in-flight-work.js';
import { SchedulerStoppingError } from './rpc-errors.js';

describe('InFlightWork', () => {
  test('close waits for the work running, and refuses new work from then on', async () => {
    const work = new InFlightWork();
    let finish: () => void = () => undefined;
    const running = work.run(
      () => new Promise<string>((resolve) => (finish = () => resolve('done'))),
    );
    let closed = false;
    const closing = work.close().then(() => (closed = true));
    await expect(work.run(async () => 'late')).rejects.toBeInstanceOf(SchedulerStoppingError);
    await Promise.resolve();
    expect(closed).toBe(false);
    finish();
    expect(await running).toBe('done');
    await closing;
    expect(closed).toBe(true);
    expect(work.accepting).toBe(false);
  });

  test('a failure of background work is reported, not left unhandled', async () => {
    const failures: unknown[] = [];
    const work = new InFlightWork((error) => failures.push(error));
    work.start(async () => {
      throw new Error('boom');
    });
    await work.close();
    expect(failures).toEqual([new Error('boom')]);
  });
});
