/**
 * `npm run bench:http`: the engine HTTP stacks for the hot paths, side by side on the same requests to one fake
 * engine (test/harness/fake-docker.ts, dockerd 20.10's documents, in a process of its own), rounds interleaved:
 * - a node's inventory: its 30 containers' inspects, as one batch (core/cluster/pipelined-gets.ts on a raw
 *   connection, the manager's way; node:http's keep-alive pool, 8 at a time; undici's pool pipelining the 30 on
 *   one connection);
 * - proxied calls: one inspect at a time, and 8 at once (node:http's pool, core/cluster/engine-http.ts; undici's
 *   pool).
 * Prints the client's CPU per request (µs, the manager's cost) and requests a second, each the median of the
 * rounds. Answers are read whole as Buffers, not parsed (the parse is the same for every stack).
 *   node build/bench/http-stacks.js [--rounds=N] [--seconds=S]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Dispatcher, Pool } from 'undici';
import { parseEngineAddress } from '../core/cluster/address.js';
import { engineAgent, bufferedCall, rawConnection } from '../core/cluster/engine-http.js';
import { AnswerReader, pipelinedGets } from '../core/cluster/pipelined-gets.js';
import { FakeDocker } from '../test/harness/fake-docker.js';

const CONTAINERS = 30;

if (process.argv[2] === '--engine') {
  const engine = await FakeDocker.start({
    name: 'bench',
    documents: 'templates',
    recordCalls: false,
  });
  for (let n = 0; n < CONTAINERS; n++) engine.add(`c${n}`, undefined, true);
  const ids = [...engine.containers.keys()];
  process.send!({ addr: engine.addr, ids });
  process.on('disconnect', () => process.exit(0));
} else {
  await main();
}

interface Case {
  stack: string;
  workload: string;
  /** Runs one unit of work; resolves with how many requests it made. */
  run(): Promise<number>;
  close?(): Promise<void>;
}

async function main(): Promise<void> {
  const flag = (name: string, fallback: number) =>
    Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
  const rounds = flag('rounds', 5);
  const seconds = flag('seconds', 2);
  const child = fork(fileURLToPath(import.meta.url), ['--engine'], { stdio: 'inherit' });
  const { addr, ids } = await new Promise<{ addr: string; ids: string[] }>((resolve) =>
    child.once('message', resolve as (m: unknown) => void),
  );
  const address = parseEngineAddress(addr);
  const paths = ids.map((id) => `/containers/${id}/json`);
  const agent = engineAgent(30_000);
  const pool = new Pool(`http://${addr}`, { connections: 8, pipelining: 1 });
  const pipelining = new Pool(`http://${addr}`, { connections: 1, pipelining: CONTAINERS });
  let next = 0;
  const nextPath = () => paths[next++ % paths.length]!;

  const viaAgent = (path: string) =>
    bufferedCall(address, agent, { method: 'GET', path, connectMs: 5000, answerMs: 30_000 }).then(
      (a) => check(a.status, a.body),
    );
  const viaUndici = async (p: Pool, path: string) => {
    const { statusCode, body } = await p.request({ method: 'GET', path });
    const parts: Buffer[] = [];
    for await (const part of body) parts.push(part as Buffer);
    check(statusCode, Buffer.concat(parts));
  };
  // undici's lowest level: a handler told of the head and each chunk (no stream, no promise per chunk)
  const viaDispatch = (p: Pool, path: string) =>
    new Promise<void>((resolve, reject) => {
      let status = 0;
      const parts: Buffer[] = [];
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: () => {},
        onResponseStart: (_c, statusCode) => void (status = statusCode),
        onResponseData: (_c, chunk) => void parts.push(chunk),
        onResponseEnd: () => {
          try {
            check(status, parts.length === 1 ? parts[0]! : Buffer.concat(parts));
            resolve();
          } catch (err) {
            reject(err as Error);
          }
        },
        onResponseError: (_c, err) => reject(err),
      };
      p.dispatch({ method: 'GET', path }, handler);
    });
  // the hand-written reader on kept-alive connections, one request per connection turn: what a pool over
  // core/cluster/pipelined-gets.ts's AnswerReader would cost (no pool code of the manager's yet)
  const idle: { send(path: string): Promise<void> }[] = [];
  const kept = async () => {
    const socket = await rawConnection(address, 5000);
    socket.setNoDelay(true);
    let waiting: (() => void) | undefined;
    const reader = new AnswerReader((a) => {
      check(a.status, a.body);
      waiting!();
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    return {
      send: (path: string) =>
        new Promise<void>((resolve) => {
          waiting = resolve;
          socket.write(`GET ${path} HTTP/1.1\r\nHost: ${addr}\r\n\r\n`, 'latin1');
        }),
    };
  };
  const viaKept = async (path: string) => {
    const connection = idle.pop() ?? (await kept());
    await connection.send(path);
    idle.push(connection);
  };
  const times = (n: number, call: () => Promise<void>) =>
    Promise.all(Array.from({ length: n }, call)).then(() => n);

  const cases: Case[] = [
    {
      stack: 'pipelined (hand-written)',
      workload: 'inventory: 30 inspects',
      run: async () => {
        const socket = await rawConnection(address, 5000);
        let answered = 0;
        await pipelinedGets(socket, addr, paths, 30_000, (_i, a) => {
          check(a.status, a.body);
          answered++;
        });
        return answered;
      },
    },
    {
      stack: 'node:http pool',
      workload: 'inventory: 30 inspects',
      run: async () => {
        let i = 0;
        await times(8, async () => {
          while (i < paths.length) await viaAgent(paths[i++]!);
        });
        return paths.length;
      },
    },
    {
      stack: 'undici pool',
      workload: 'inventory: 30 inspects',
      run: () => Promise.all(paths.map((p) => viaUndici(pipelining, p))).then(() => paths.length),
    },
    {
      stack: 'undici pool, dispatch',
      workload: 'inventory: 30 inspects',
      run: () => Promise.all(paths.map((p) => viaDispatch(pipelining, p))).then(() => paths.length),
    },
    {
      stack: 'node:http pool',
      workload: 'proxied: 1 at a time',
      run: () => viaAgent(nextPath()).then(() => 1),
    },
    {
      stack: 'undici pool',
      workload: 'proxied: 1 at a time',
      run: () => viaUndici(pool, nextPath()).then(() => 1),
    },
    {
      stack: 'hand-written, kept-alive',
      workload: 'proxied: 1 at a time',
      run: () => viaKept(nextPath()).then(() => 1),
    },
    {
      stack: 'undici pool, dispatch',
      workload: 'proxied: 1 at a time',
      run: () => viaDispatch(pool, nextPath()).then(() => 1),
    },
    {
      stack: 'node:http pool',
      workload: 'proxied: 8 at once',
      run: () => times(8, () => viaAgent(nextPath())),
    },
    {
      stack: 'undici pool',
      workload: 'proxied: 8 at once',
      run: () => times(8, () => viaUndici(pool, nextPath())),
    },
    {
      stack: 'hand-written, kept-alive',
      workload: 'proxied: 8 at once',
      run: () => times(8, () => viaKept(nextPath())),
    },
    {
      stack: 'undici pool, dispatch',
      workload: 'proxied: 8 at once',
      run: () => times(8, () => viaDispatch(pool, nextPath())),
    },
  ];

  const figures = new Map<Case, { cpu: number[]; rate: number[] }>();
  for (const c of cases) figures.set(c, { cpu: [], rate: [] });
  for (let round = 0; round < rounds; round++)
    for (const c of cases) {
      // a warm-up, then the measured stretch
      for (let w = 0; w < 20; w++) await c.run();
      const [cpu0, t0] = [process.cpuUsage(), performance.now()];
      let requests = 0;
      while (performance.now() - t0 < seconds * 1000) requests += await c.run();
      const { user, system } = process.cpuUsage(cpu0);
      const ms = performance.now() - t0;
      figures.get(c)!.cpu.push((user + system) / requests);
      figures.get(c)!.rate.push((requests / ms) * 1000);
    }
  await Promise.all([pool.close(), pipelining.close()]);
  agent.destroy();
  child.disconnect();

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rows = cases.map((c) => {
    const f = figures.get(c)!;
    return `| ${c.workload} | ${c.stack} | ${median(f.cpu).toFixed(1)} | ${median(f.rate).toFixed(0)} |`;
  });
  process.stdout.write(
    `engine HTTP stacks, ${rounds} rounds of ${seconds} s interleaved, against one fake engine ` +
      `(Node ${process.versions.node}):\n` +
      '| workload | stack | client CPU per request (µs) | requests/s |\n|---|---|---|---|\n' +
      rows.join('\n') +
      '\n',
  );
}

function check(status: number, body: Buffer): void {
  if (status !== 200 || body.length < 1000)
    throw new Error(`an answer ${status} of ${body.length} bytes`);
}
