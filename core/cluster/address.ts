import { ConfigError } from '../../config/errors.js';

/** Where one engine listens. */
export interface EngineAddress {
  kind: 'tcp' | 'unix';
  /** tcp only */
  host: string;
  port: number;
  /** unix only */
  socketPath: string;
  /** How the node's address is shown (`ip:port`, or `unix:///path`), and its key in the cluster. */
  addr: string;
}

const DEFAULT_ENGINE_PORT = 2375;

/** Parses `ip:port`, `host`, `tcp://ip:port`, `http://ip:port` or `unix:///path`. */
export function parseEngineAddress(text: string): EngineAddress {
  const value = text.trim();
  if (value.startsWith('unix://')) {
    const socketPath = value.slice('unix://'.length);
    if (!socketPath.startsWith('/'))
      throw new ConfigError(`bad engine address "${text}": unix sockets need an absolute path`);
    return { kind: 'unix', host: '', port: 0, socketPath, addr: `unix://${socketPath}` };
  }
  const rest = value.replace(/^(tcp|http):\/\//, '');
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:/\s]+)(?::(\d{1,5}))?\/?$/.exec(rest);
  if (!m || /^[a-z]+:\/\//i.test(rest))
    throw new ConfigError(
      `bad engine address "${text}": expected ip:port, tcp://ip:port or unix:///path`,
    );
  const port = m[2] ? Number(m[2]) : DEFAULT_ENGINE_PORT;
  if (port < 1 || port > 65535)
    throw new ConfigError(`bad engine address "${text}": port out of range`);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  return { kind: 'tcp', host, port, socketPath: '', addr: `${m[1]}:${port}` };
}

/** The Docker client's words for an engine it cannot reach, which classic swarm passed on. */
export function connectionMessage(address: EngineAddress): string {
  return `Cannot connect to the Docker daemon at ${address.kind === 'unix' ? address.addr : `tcp://${address.addr}`}. Is the docker daemon running?`;
}
