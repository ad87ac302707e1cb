import { InFlightWork } from './in-flight-work.js';

describe('InFlightWork', () => {
  test('close waits for the work running, and refuses new work from then on', async () => {
    const work = new InFlightWork();
    let finish: () => void = () => undefined;
    const running = work.run(
      () => new Promise<string>((resolve) => (finish = () => resolve('done'))),
      () => 'refused',
    );
    let closed = false;
    const closing = work.close().then(() => (closed = true));
    expect(
      await work.run(
        async () => 'late',
        () => 'refused',
      ),
    ).toBe('refused');
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
