import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../config/errors.js';
import { parseListenAddress } from '../api/listen-address.js';

export const NODE_USAGE = `Usage: swarm node COMMAND

Node maintenance on a running manager, through its API (/skep/nodes). The manager is -H, else $DOCKER_HOST,
as the docker CLI finds it; --tlsverify (or $DOCKER_TLS_VERIFY) with $DOCKER_CERT_PATH's ca.pem, cert.pem, key.pem.

Commands:
  ls                       List the nodes with their state, availability and Skep-side labels
  inspect NODE             One node as JSON
  update [options] NODE    Change a node: NODE is its name, address or ID

Options of update:
  --availability value     active, pause (no new containers) or drain (none, and movable ones moved off)
  --label-add key=value    add or change a Skep-side label (repeatable)
  --label-rm key           remove a Skep-side label (repeatable)

Options:
  --host, -H value         the manager: tcp://host:port or unix:///path
  --tlsverify              use TLS and verify the manager
`;

export interface NodeCommand {
  action: 'ls' | 'inspect' | 'update' | 'help';
  node?: string;
  host: string;
  tls: boolean;
  change: { Availability?: string; LabelAdd?: Record<string, string>; LabelRm?: string[] };
}

/** `swarm node ...` as the docker CLI takes `docker node ...`: flags anywhere, `--flag value` or `--flag=value`. */
export function parseNodeCommand(args: string[], env: Record<string, string | undefined>): NodeCommand {
  const command: NodeCommand = { action: 'help', host: env.DOCKER_HOST || 'unix:///var/run/docker.sock', tls: Boolean(env.DOCKER_TLS_VERIFY), change: {} };
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-h' || arg === '--help') return { ...command, action: 'help' };
    const [flag, inline] = arg.startsWith('-') ? [arg.split('=')[0]!, arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : undefined] : [undefined, undefined];
    if (!flag) {
      positional.push(arg);
      continue;
    }
    if (flag === '--tlsverify' || flag === '--tls') {
      command.tls = inline !== 'false';
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new ConfigError(`flag needs an argument: ${flag}`);
    if (flag === '-H' || flag === '--host') command.host = value;
    else if (flag === '--availability') command.change.Availability = value;
    else if (flag === '--label-add') {
      const eq = value.indexOf('=');
      // the docker CLI takes `--label-add key` as key=""
      const [key, v] = eq < 0 ? [value, ''] : [value.slice(0, eq), value.slice(eq + 1)];
      command.change.LabelAdd = { ...command.change.LabelAdd, [key]: v };
    } else if (flag === '--label-rm') command.change.LabelRm = [...(command.change.LabelRm ?? []), value];
    else throw new ConfigError(`unknown flag: ${flag} (see 'swarm node --help')`);
  }
  const [action, node, ...rest] = positional;
  if (action === undefined) return command;
  if (action !== 'ls' && action !== 'list' && action !== 'inspect' && action !== 'update') throw new ConfigError(`node: unknown command "${action}" (see 'swarm node --help')`);
  if (action === 'ls' || action === 'list') {
    if (node !== undefined) throw new ConfigError('"swarm node ls" accepts no arguments');
    return { ...command, action: 'ls' };
  }
  if (node === undefined || rest.length > 0) throw new ConfigError(`"swarm node ${action}" requires exactly 1 argument: the node's name, address or ID`);
  if (action === 'update' && Object.keys(command.change).length === 0) throw new ConfigError('"swarm node update" needs --availability, --label-add or --label-rm');
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

/** One call to the manager's API, JSON both ways; an error answer is Docker's message. */
function call(command: NodeCommand, method: string, path: string, body?: unknown): Promise<unknown> {
  // the manager's address read as `-H` is read when the manager listens on it
  const address = parseListenAddress(command.host);
  const target = address.kind === 'unix' ? { socketPath: address.path } : { host: address.host, port: address.port };
  const certs = join(process.env.DOCKER_CERT_PATH || join(homedir(), '.docker'));
  const tls = command.tls ? { ca: readFileSync(join(certs, 'ca.pem')), cert: readFileSync(join(certs, 'cert.pem')), key: readFileSync(join(certs, 'key.pem')) } : {};
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = (command.tls ? https : http).request(
      { ...target, ...tls, method, path, headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {} },
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
            const hint = res.statusCode === 404 && message === 'page not found' ? ` (is ${command.host} a Skep manager?)` : '';
            reject(new Error(`Error response from daemon: ${message}${hint}`));
          } else resolve(parsed);
        });
      },
    );
    req.on('error', (err) => reject(new Error(`Cannot connect to the manager at ${command.host}: ${err.message}. Is it running?`)));
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

export async function runNodeCommand(command: NodeCommand, out: (text: string) => void): Promise<void> {
  if (command.action === 'help') return out(NODE_USAGE);
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
    return out(table([['ID', 'NAME', 'ADDRESS', 'STATUS', 'AVAILABILITY', 'CONTAINERS', 'LABELS'], ...rows]));
  }
  const path = `/skep/nodes/${encodeURIComponent(command.node!)}`;
  if (command.action === 'inspect') return out(JSON.stringify(await call(command, 'GET', path), null, 4) + '\n');
  await call(command, 'POST', `${path}/update`, command.change);
  // as `docker node update` prints: the node as it was named
  out(`${command.node}\n`);
}
