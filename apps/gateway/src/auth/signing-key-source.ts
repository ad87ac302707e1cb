import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Stats } from 'node:fs';
import { newSigningKeySet, parseSigningKeySet } from '@canopy/identity';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { GatewayConfig } from '../config/gateway-config.js';
import { SigningKeys } from './signing-keys.js';

// Where the signing keys come from: AUTH_SIGNING_KEYS_FILE (read at start and again whenever the file
// changes, so keys rotate without a restart), AUTH_SIGNING_KEYS inline
// (fixed for the process's life), or, with neither, a random key per start (tokens then die with
// the process and no other replica accepts them). The file is polled by its stat rather than
// watched with fs.watch: editors and `canopy auth keys` replace it by renaming, which fs.watch loses
// track of, and polling also works on network file systems. Not SIGHUP: a terminal that closes sends
// it to every process of `canopy start`, and a gateway that reloaded instead of exiting would outlive
// the rest of the stack.

export const SIGNING_KEYS_POLL_MS = 1_000;

export interface SigningKeySource {
  readonly keys: SigningKeys;
  /** Reads the file now instead of at the next poll; without a file, nothing to do. */
  reload(): void;
  /** Stops watching the file. */
  close(): void;
}

export function openSigningKeySource(
  config: Pick<GatewayConfig, 'AUTH_SIGNING_KEYS' | 'AUTH_SIGNING_KEYS_FILE'>,
  logger: ServiceLogger,
): SigningKeySource {
  const file = config.AUTH_SIGNING_KEYS_FILE;
  if (file === undefined) {
    if (config.AUTH_SIGNING_KEYS !== undefined) {
      const keys = new SigningKeys(parseSigningKeySet(config.AUTH_SIGNING_KEYS));
      logger.info({ activeKid: keys.activeKid, kids: keys.kids }, 'signing keys loaded');
      return { keys, reload: () => undefined, close: () => undefined };
    }
    logger.warn(
      'neither AUTH_SIGNING_KEYS_FILE nor AUTH_SIGNING_KEYS is set: signing with a random key, so access tokens will not survive a restart and are not accepted by other gateway replicas',
    );
    return {
      keys: new SigningKeys(newSigningKeySet()),
      reload: () => undefined,
      close: () => undefined,
    };
  }

  const read = () => parseSigningKeySet(readFileSync(file, 'utf8'));
  const keys = new SigningKeys(read());
  logger.info({ file, activeKid: keys.activeKid, kids: keys.kids }, 'signing keys loaded');
  const reload = (reason: string) => {
    try {
      keys.replace(read());
      logger.info(
        { file, reason, activeKid: keys.activeKid, kids: keys.kids },
        'signing keys reloaded',
      );
    } catch (error) {
      // The message names the problem, never a key's value; the keys in use stay.
      logger.error(
        { file, reason, problem: error instanceof Error ? error.message : String(error) },
        'signing keys not reloaded; keeping the current ones',
      );
    }
  };
  const onChange = (current: Stats, previous: Stats) => {
    if (current.mtimeMs === previous.mtimeMs && current.ino === previous.ino) return;
    // A file being replaced may be missing for a moment; the next change will bring it back.
    if (current.nlink === 0) return;
    reload('file changed');
  };
  watchFile(file, { interval: SIGNING_KEYS_POLL_MS, persistent: false }, onChange);
  return {
    keys,
    reload: () => reload('asked'),
    close: () => unwatchFile(file, onChange),
  };
}
