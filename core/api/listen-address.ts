import { ConfigError } from '../../config/errors.js';

export type ListenAddress =
  | { kind: 'tcp'; host: string; port: number; text: string }
  | { kind: 'unix'; path: string; text: string };

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
