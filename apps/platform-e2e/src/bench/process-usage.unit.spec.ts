import { setTimeout as sleep } from 'node:timers/promises';
import { sampleProcess, withWakeUps, type ProcessSample } from './process-usage.js';

async function sampleOfThisProcess(): Promise<ProcessSample> {
  const sample = await sampleProcess(process.pid);
  if (sample === undefined) throw new Error('this process has no /proc entry');
  return withWakeUps(sample);
}

describe('withWakeUps', () => {
  test("counts the process's sleeps: each timer it waits on with nothing else to do is one", async () => {
    const before = await sampleOfThisProcess();
    for (let sleeps = 0; sleeps < 20; sleeps += 1) await sleep(5);
    const after = await sampleOfThisProcess();

    expect(after.wakeUps - before.wakeUps).toBeGreaterThanOrEqual(20);
  });

  test('leaves the sample of a process that has gone as it was', async () => {
    const gone: ProcessSample = { ...(await sampleOfThisProcess()), pid: 2 ** 22 + 1, wakeUps: 7 };

    await expect(withWakeUps(gone)).resolves.toBe(gone);
  });
});
