import { Session } from 'node:inspector';
import { writeProfileOnStop } from './profile-on-stop.js';

// Preloaded into the processes of the benchmark's stack (NODE_OPTIONS="--import=<this file>") when
// BENCH_ALLOCATION_PROFILE_DIR is set: samples where the process allocates memory, the garbage
// included, and writes a V8 heap profile there when the process is told to stop. `--heap-prof`
// keeps only the samples still alive when it writes, which shows what a process holds, not what
// keeps its garbage collector busy; this one asks V8 to keep the samples both collectors freed.
// Open a profile in Chrome's DevTools (Memory, load profile) or with `npx speedscope`.

const directory = process.env['BENCH_ALLOCATION_PROFILE_DIR'];
if (directory !== undefined && directory !== '') {
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.startSampling', {
    samplingInterval: 16_384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  writeProfileOnStop(directory, 'heapprofile', (write) =>
    session.post('HeapProfiler.stopSampling', (error, result) => {
      if (error === null) write(result.profile);
    }),
  );
}
