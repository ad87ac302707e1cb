import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { nodeProcessName } from './process-names.js';

/**
 * Once, when the process is told to stop (SIGTERM, SIGINT) or exits, asks `collect` for the profile
 * and writes what it hands back to `<directory>/<process>-<pid>.<extension>`. The services stop on
 * SIGTERM: the listeners go first, so the profile is asked for before their own handlers exit.
 */
export function writeProfileOnStop(
  directory: string,
  extension: string,
  collect: (write: (profile: object) => void) => void,
): void {
  let asked = false;
  const onStop = (): void => {
    if (asked) return;
    asked = true;
    collect((profile) => {
      const service = (nodeProcessName(process.argv) ?? 'node').replace(/[^\w.-]/g, '_');
      const file = path.join(directory, `${service}-${process.pid}.${extension}`);
      writeFileSync(file, JSON.stringify(profile));
    });
  };
  process.prependListener('SIGTERM', onStop);
  process.prependListener('SIGINT', onStop);
  process.on('exit', onStop);
}
