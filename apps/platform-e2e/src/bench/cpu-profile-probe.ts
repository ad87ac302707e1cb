import { Session } from 'node:inspector';
import { writeProfileOnStop } from './profile-on-stop.js';

// Preloaded into the processes of the benchmark's stack (NODE_OPTIONS="--import=<this file>") when
// BENCH_CPU_PROFILE_DIR is set: records a V8 CPU profile of the whole process and writes it there
// when the process is told to stop (`--cpu-prof` itself is not allowed in NODE_OPTIONS). Open a
// profile in Chrome's DevTools (Performance, load profile) or with `npx speedscope`.

const directory = process.env['BENCH_CPU_PROFILE_DIR'];
if (directory !== undefined && directory !== '') {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () =>
    session.post('Profiler.setSamplingInterval', { interval: 500 }, () =>
      session.post('Profiler.start'),
    ),
  );
  writeProfileOnStop(directory, 'cpuprofile', (write) =>
    session.post('Profiler.stop', (error, result) => {
      if (error === null) write(result.profile);
    }),
  );
}
