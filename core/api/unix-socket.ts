import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../../config/errors.js';

const myUid = () => process.getuid?.();

/**
 * Before listening on a unix socket: whoever can write its folder can replace the socket and pose
 * as the manager (and read the registry credentials clients send), so the folder must be writable
 * only by its owner (this user or root), or be sticky like /tmp. What is at the path already is
 * removed only when it is a socket of this user (a manager that stopped without cleaning up);
 * anything else is refused, never deleted.
 */
export function prepareSocketPath(path: string): void {
  const folder = dirname(path);
  const dir = lstatSync(folder);
  const owner = dir.uid === 0 || dir.uid === myUid();
  const sticky = (dir.mode & 0o1000) !== 0;
  if (!owner || ((dir.mode & 0o022) !== 0 && !sticky)) {
    throw new ConfigError(
      `refusing to listen on unix://${path}: ${folder} can be written by other users ` +
        `(mode ${(dir.mode & 0o7777).toString(8)}, owner ${dir.uid})`,
    );
  }
  let existing;
  try {
    existing = lstatSync(path);
  } catch {
    return;
  }
  if (!existing.isSocket() || existing.uid !== myUid()) {
    throw new ConfigError(
      `refusing to listen on unix://${path}: something else is there ` +
        `(${existing.isSocket() ? `a socket of user ${existing.uid}` : 'not a socket'}); ` +
        'remove it yourself if it is stale',
    );
  }
  unlinkSync(path);
}

/**
 * The socket's mode after listening, as dockerd sets its own: owner and group only
 * (whatever the umask said).
 */
export function restrictSocket(path: string): void {
  chmodSync(path, 0o660);
}
