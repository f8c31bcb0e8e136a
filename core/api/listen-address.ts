import { ConfigError } from '../../config/errors.js';

export type ListenAddress =
  | { kind: 'tcp'; host: string; port: number; text: string }
  | { kind: 'unix'; path: string; text: string };

/**
 * What `swarm manage -H` takes: an address above, or sockets systemd passed (socket activation):
 * `fd://` every one of them, `fd://NAME` those named NAME (FileDescriptorName= in the .socket unit),
 * `fd://3` file descriptor 3 (a number is read as dockerd reads it).
 */
export type ServeAddress = ListenAddress | { kind: 'fd'; name?: string; fd?: number; text: string };

export function parseServeAddress(text: string): ServeAddress {
  if (!text.startsWith('fd://')) return parseListenAddress(text);
  const rest = text.slice('fd://'.length);
  if (rest === '' || rest === '*') return { kind: 'fd', text };
  if (/^\d+$/.test(rest)) return { kind: 'fd', fd: Number(rest), text };
  // systemd's rule for names: printable ASCII, no colon (it separates them in LISTEN_FDNAMES)
  if (!/^[\x21-\x7e]{1,255}$/.test(rest) || rest.includes(':'))
    throw new ConfigError(`bad listen address "${text}": not a socket name systemd can give`);
  return { kind: 'fd', name: rest, text };
}

/** Parses a `-H` value: `tcp://ip:port`, `ip:port`, `:port` or `unix:///path`. */
export function parseListenAddress(text: string): ListenAddress {
  if (text.startsWith('unix://')) {
    const path = text.slice('unix://'.length);
    if (!path.startsWith('/'))
      throw new ConfigError(`bad listen address "${text}": unix sockets need an absolute path`);
    return { kind: 'unix', path, text };
  }
  const rest = text.replace(/^tcp:\/\//, '');
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:/\s]*):(\d{1,5})$/.exec(rest);
  if (!m || Number(m[2]) > 65535)
    throw new ConfigError(
      `bad listen address "${text}": expected tcp://ip:port, ip:port or unix:///path`,
    );
  return {
    kind: 'tcp',
    host: m[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0',
    port: Number(m[2]),
    text,
  };
}
