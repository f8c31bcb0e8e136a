import { lstatSync, mkdirSync } from 'node:fs';

/**
 * Makes `dir` (mode 0700) when it is not there, and says whether it is a real folder (no link) of
 * this user that no one else can write: what may hold files this user will load or write as
 * itself (a cache, state).
 */
export function isPrivateDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    const mine = process.getuid === undefined || stat.uid === process.getuid();
    return stat.isDirectory() && !stat.isSymbolicLink() && mine && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}
