import http from 'node:http';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfigFile } from '../../config/load.js';
import { parseListenAddress } from '../api/listen-address.js';
import { parseArgs } from './args.js';

/** A running `swarm` process: its arguments after the script, its working folder and environment. */
export interface SwarmProcess {
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/**
 * The `swarm` process running `script` (this installation's swarm.js), found in /proc: PID 1 in the image, or
 * the child of an init (`docker run --init`).
 */
export function findSwarmProcess(script: string, proc = '/proc'): SwarmProcess | undefined {
  const pids = readdirSync(proc)
    .filter((entry) => /^\d+$/.test(entry))
    .sort((a, b) => Number(a) - Number(b));
  for (const pid of pids) {
    try {
      const argv = nulSeparated(readFileSync(`${proc}/${pid}/cmdline`, 'utf8'));
      if (argv[1] === undefined) continue;
      const cwd = readlinkSync(`${proc}/${pid}/cwd`);
      if (resolve(cwd, argv[1]) !== script) continue;
      const env = Object.fromEntries(
        nulSeparated(readFileSync(`${proc}/${pid}/environ`, 'utf8')).map((pair) => {
          const at = pair.indexOf('=');
          return [pair.slice(0, at), pair.slice(at + 1)];
        }),
      );
      return { args: argv.slice(2), cwd, env };
    } catch {
      /* exited meanwhile, or not ours to read */
    }
  }
  return undefined;
}

const nulSeparated = (text: string) => text.split('\0').filter((part) => part !== '');

/**
 * The operator listener's address as the manager resolved it: `--status-addr` on its command line, else
 * `status.address` of its config file (`--config`, or the one found from its working folder); undefined when
 * it is off or the process is no manager (`join`...).
 */
export async function statusAddressOf(swarm: SwarmProcess): Promise<string | undefined> {
  const parsed = parseArgs(swarm.args, swarm.env);
  if (parsed.command !== 'manage') return undefined;
  if (parsed.flags.status?.address) return parsed.flags.status.address;
  const file = parsed.configFile ? resolve(swarm.cwd, parsed.configFile) : undefined;
  const { config } = await loadConfigFile({ cwd: swarm.cwd, file });
  return config.status?.address;
}

/** GET /healthz on the operator listener; a wildcard address (`0.0.0.0`, `::`) is asked on loopback. */
export function probeHealthz(address: string, timeoutMs: number): Promise<string | undefined> {
  const listen = parseListenAddress(address);
  if (listen.kind !== 'tcp') return Promise.resolve(`${address} is no host:port`);
  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host;
  return new Promise((done) => {
    const req = http.get(
      { host, port: listen.port, path: '/healthz', timeout: timeoutMs },
      (res) => {
        res.resume();
        done(res.statusCode === 200 ? undefined : `/healthz answered ${res.statusCode}`);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs / 1000}s`)));
    req.on('error', (err) => done(`http://${address}/healthz: ${err.message}`));
  });
}
