import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

// Why a file and not a pipe: Node gives a child's 'pipe' stdin as a Unix socket, and Debian's bash
// runs ~/.bashrc (and /etc/bash.bashrc) for `bash -c` whenever its stdin is a socket, taking it for
// an rsh/ssh session; with a profile that starts pyenv that costs about half a second per
// invocation. Node cannot make an OS pipe without spawning a helper, and a FIFO needs mkfifo and a
// name per invocation; a regular file holding the body is what `command < file` gives, costs a
// create, a write and an unlink, and ends in EOF after the body as a pipe would.

/**
 * The request body as a file the function's stdin can be: created readable only by the agent's
 * user, unlinked at once (nothing is left behind, whatever happens next), positioned at the
 * start. Close it once the child has started (it has its own descriptor by then).
 */
export async function openBodyFile(body: Buffer, directory: string): Promise<FileHandle> {
  const file = path.join(directory, `canopy-body-${randomBytes(12).toString('hex')}`);
  const handle = await open(file, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await unlink(file);
    // Positional writes leave the descriptor's offset at 0, where the function starts reading.
    let written = 0;
    while (written < body.length) {
      const { bytesWritten } = await handle.write(body, written, body.length - written, written);
      written += bytesWritten;
    }
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}
