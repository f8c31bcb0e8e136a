import { ConfigError } from '../../config/errors.js';

/** A listening socket systemd passed: its file descriptor and its name (FileDescriptorName=). */
export interface ActivatedSocket {
  fd: number;
  name: string;
}

/** sd_listen_fds(3): passed descriptors start at 3. */
const FIRST_FD = 3;

const NONE_FOUND =
  'no sockets found via socket activation: make sure the service was started by systemd';

/**
 * The sockets systemd passed (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES), read as sd_listen_fds(3)
 * reads them: none when LISTEN_PID is not this process (they were meant for a parent). The
 * variables are then removed, so nothing this process starts takes them as its own.
 */
export function takeActivatedSockets(
  env: NodeJS.ProcessEnv = process.env,
  pid = process.pid,
): ActivatedSocket[] {
  const { LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES } = env;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (LISTEN_PID === undefined || Number(LISTEN_PID) !== pid) return [];
  const count = /^\d+$/.test(LISTEN_FDS ?? '') ? Number(LISTEN_FDS) : 0;
  const names = LISTEN_FDNAMES?.split(':') ?? [];
  // systemd's own name for a socket given none
  return Array.from({ length: count }, (_, i) => ({
    fd: FIRST_FD + i,
    name: names[i] || 'unknown',
  }));
}

/** One `-H fd://...` as parsed (see listen-address.ts). */
export interface FdAddress {
  text: string;
  name?: string;
  fd?: number;
}

/**
 * Which passed sockets each `-H fd://...` serves: `fd://NAME` those named so, `fd://3` that
 * descriptor, `fd://` every one no other `-H` named. A name or number that matches nothing stops
 * the start, in dockerd's words where it has some.
 */
export function assignActivatedSockets(
  addresses: FdAddress[],
  passed: ActivatedSocket[],
): Map<string, ActivatedSocket[]> {
  const assigned = new Map<string, ActivatedSocket[]>();
  if (addresses.length === 0) return assigned;
  if (passed.length === 0) throw new ConfigError(NONE_FOUND);
  const taken = new Set<number>();
  for (const address of addresses) {
    if (address.name === undefined && address.fd === undefined) continue;
    const chosen = passed.filter((s) =>
      address.fd === undefined ? s.name === address.name : s.fd === address.fd,
    );
    if (chosen.length === 0) {
      const given = passed.map((s) => `${s.name} (fd ${s.fd})`).join(', ');
      throw new ConfigError(
        address.fd === undefined
          ? `no socket named "${address.name}" found via socket activation (systemd passed ${given}): ` +
              'check FileDescriptorName= in the .socket unit'
          : `too few socket activated files passed in by systemd: no fd ${address.fd} (systemd passed ${given})`,
      );
    }
    for (const socket of chosen) {
      if (taken.has(socket.fd))
        throw new ConfigError(`${address.text}: fd ${socket.fd} is already taken by another -H`);
      taken.add(socket.fd);
    }
    assigned.set(address.text, chosen);
  }
  for (const address of addresses) {
    if (address.name !== undefined || address.fd !== undefined) continue;
    if (assigned.has(address.text)) throw new ConfigError(`-H ${address.text} is given twice`);
    const rest = passed.filter((s) => !taken.has(s.fd));
    if (rest.length === 0)
      throw new ConfigError(`${address.text}: every socket systemd passed is taken by another -H`);
    for (const socket of rest) taken.add(socket.fd);
    assigned.set(address.text, rest);
  }
  return assigned;
}

/** The passed sockets no `-H` serves: their descriptors are closed, not left to queue clients. */
export function unassigned(
  passed: ActivatedSocket[],
  assigned: Map<string, ActivatedSocket[]>,
): ActivatedSocket[] {
  const used = new Set([...assigned.values()].flat().map((s) => s.fd));
  return passed.filter((s) => !used.has(s.fd));
}
