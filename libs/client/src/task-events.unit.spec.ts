import { endsTask, taskEventStream } from './task-events.js';
import type { TaskEventEntry } from './task-events.js';

/** An SSE answer as the gateway writes it, cut into chunks at awkward places. */
function sseBody(text: string, chunkSize: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      for (let at = 0; at < bytes.length; at += chunkSize)
        controller.enqueue(bytes.slice(at, at + chunkSize));
      controller.close();
    },
  });
}

const assigned = {
  version: 2,
  type: 'TaskAssigned',
  at: '1765270801',
  data: { node: 'n', attempt: 1 },
};
const progressed = {
  version: 3,
  type: 'TaskProgressed',
  at: '1765270802',
  data: { attempt: 1, progress: 50 },
};
const finished = {
  version: 4,
  type: 'TaskFinished',
  at: '1765270803',
  data: { attempt: 1, status: 200 },
};

test('the entries of a task event stream, whatever the chunks, comments and retry lines', async () => {
  const text = [
    'retry: 1000',
    '',
    ...[assigned, progressed].flatMap((entry) => [
      `id: ${entry.version}`,
      `event: ${entry.type}`,
      `data: ${JSON.stringify(entry)}`,
      '',
    ]),
    ': keep-alive',
    '',
    `id: 4\nevent: TaskFinished\ndata: ${JSON.stringify(finished)}\n`,
    '',
  ].join('\n');
  for (const chunkSize of [1, 7, 4096]) {
    const entries: TaskEventEntry[] = [];
    for await (const entry of taskEventStream(sseBody(text, chunkSize))) entries.push(entry);
    expect(entries).toEqual([assigned, progressed, finished]);
    expect(entries.map(endsTask)).toEqual([false, false, true]);
  }
});
