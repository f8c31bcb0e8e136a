import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../config/errors.js';
import { parseListenAddress } from '../api/listen-address.js';
import { commandHelp } from './help.js';
import { NODE, type NodeCommand } from './node-flags.js';
import { readFlags, type Env } from './read-flags.js';

export type { NodeCommand } from './node-flags.js';

type Action = NodeCommand['action'];

/**
 * `swarm node ...` as the docker CLI takes `docker node ...`:
 * flags anywhere, `--flag value` or `--flag=value`.
 */
export function parseNodeCommand(args: string[], env: Env): NodeCommand {
  const command: NodeCommand = { action: 'help', host: '', tls: false, change: {} };
  const read = readFlags(args, NODE, command, { env });
  if (read.asked) return command;
  const [typed, node, ...rest] = read.args;
  if (typed === undefined) return command;
  // the commands the help lists, by their names and aliases
  const action = NODE.subcommands?.find((sub) => sub.names.includes(typed))?.names[0] as
    Action | undefined;
  if (action === undefined)
    throw new ConfigError(`node: unknown command "${typed}" (see 'swarm node --help')`);
  if (action === 'ls') {
    if (node !== undefined) throw new ConfigError('"swarm node ls" accepts no arguments');
    return { ...command, action: 'ls' };
  }
  if (node === undefined || rest.length > 0) {
    throw new ConfigError(
      `"swarm node ${action}" requires exactly 1 argument: the node's name, address or ID`,
    );
  }
  if (action === 'update' && Object.keys(command.change).length === 0) {
    throw new ConfigError('"swarm node update" needs --availability, --label-add or --label-rm');
  }
  return { ...command, action, node };
}

interface Described {
  ID: string;
  Name: string;
  Addr: string;
  Status: string;
  Availability: string;
  Labels: Record<string, string>;
  Containers: number;
  Error: string;
}

/**
 * The client's certificate and CA as the docker CLI finds them:
 * in $DOCKER_CERT_PATH, else ~/.docker.
 */
function clientCertificates(): { ca: Buffer; cert: Buffer; key: Buffer } {
  const dir = process.env.DOCKER_CERT_PATH || join(homedir(), '.docker');
  const read = (file: string) => readFileSync(join(dir, file));
  return { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}

/** One call to the manager's API, JSON both ways; an error answer is Docker's message. */
function call(
  command: NodeCommand,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  // the manager's address read as `-H` is read when the manager listens on it
  const address = parseListenAddress(command.host);
  const target =
    address.kind === 'unix'
      ? { socketPath: address.path }
      : { host: address.host, port: address.port };
  const tls = command.tls ? clientCertificates() : {};
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers = payload
    ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }
    : {};
  return new Promise((resolve, reject) => {
    const req = (command.tls ? https : http).request(
      { ...target, ...tls, method, path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: { message?: string } | undefined;
          try {
            parsed = JSON.parse(text) as { message?: string };
          } catch {
            parsed = undefined;
          }
          if ((res.statusCode ?? 500) >= 300) {
            const message = parsed?.message ?? text.trim();
            const notSkep = res.statusCode === 404 && message === 'page not found';
            const hint = notSkep ? ` (is ${command.host} a Skep manager?)` : '';
            reject(new Error(`Error response from daemon: ${message}${hint}`));
          } else resolve(parsed);
        });
      },
    );
    req.on('error', (err) => {
      reject(
        new Error(
          `Cannot connect to the manager at ${command.host}: ${err.message}. Is it running?`,
        ),
      );
    });
    req.end(payload);
  });
}

/** Columns padded to their widest cell, three spaces apart, as the docker CLI's tables are. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3)))
          .join('')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export async function runNodeCommand(
  command: NodeCommand,
  out: (text: string) => void,
): Promise<void> {
  if (command.action === 'help') return out(commandHelp(NODE));
  if (command.action === 'ls') {
    const nodes = (await call(command, 'GET', '/skep/nodes')) as Described[];
    const rows = nodes.map((n) => [
      n.ID || '-',
      n.Name,
      n.Addr,
      n.Status,
      n.Availability.charAt(0).toUpperCase() + n.Availability.slice(1),
      String(n.Containers),
      Object.entries(n.Labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    ]);
    return out(
      table([['ID', 'NAME', 'ADDRESS', 'STATUS', 'AVAILABILITY', 'CONTAINERS', 'LABELS'], ...rows]),
    );
  }
  const path = `/skep/nodes/${encodeURIComponent(command.node!)}`;
  if (command.action === 'inspect')
    return out(JSON.stringify(await call(command, 'GET', path), null, 4) + '\n');
  await call(command, 'POST', `${path}/update`, command.change);
  // as `docker node update` prints: the node as it was named
  out(`${command.node}\n`);
}
