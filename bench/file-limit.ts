import { execFileSync } from 'node:child_process';

/**
 * A command run with a raised limit of open files: at 10,000 engines a fleet process holds a listener per
 * engine and the manager's connections to them, and the manager 10,000 connections and more, over the usual
 * soft limit (1,024). Node cannot set it (no setrlimit), so a shell sets it and `exec`s the command (same
 * process, its pipes and IPC channel kept): to FILES, or else as high as the hard limit allows (without
 * CAP_SYS_RESOURCE the hard limit cannot be raised: in this project's container it is 20,000).
 */
export const FILES = 65_536;

const RAISE = `ulimit -n ${FILES} 2>/dev/null || ulimit -n "$(ulimit -Hn)"`;

/** `command args` as a shell that raises the limit first: for spawn. */
export const withFiles = (command: string, args: string[]): [string, string[]] => [
  '/bin/sh',
  ['-c', `${RAISE}; exec "$0" "$@"`, command, ...args],
];

/** The same for fork (whose own node and script follow `execArgv`). */
export const forkWithFiles = () => ({
  execPath: '/bin/sh',
  execArgv: ['-c', `${RAISE}; exec "$0" "$@"`, process.execPath],
});

/** The limit those commands get. */
export const raisedFiles = (): number =>
  Number(execFileSync('/bin/sh', ['-c', `${RAISE}; ulimit -n`], { encoding: 'utf8' }).trim());
