import http from 'node:http';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** A process's CPU time used so far (ms) and resident memory (bytes), from /proc. */
export function processSample(pid: number): { cpuMs: number; rssBytes: number } {
  // the command name (field 2) may hold spaces; the fields after its closing parenthesis do not
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuMs, rssBytes: Number(rss?.[1] ?? 0) * 1024 };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface Timing {
  median: number;
  p99: number;
  count: number;
}

export const timing = (ms: number[]): Timing => ({
  median: percentile(ms, 50),
  p99: percentile(ms, 99),
  count: ms.length,
});

export const loadAverage = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

export interface Answer {
  status: number;
  body: Buffer;
  ms: number;
}

/** A keep-alive HTTP client for one endpoint, timing each call from request to the last byte. */
export class Client {
  private readonly agent: http.Agent;

  constructor(
    readonly host: string,
    readonly port: number,
    connections = 1,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  }

  call(method: string, path: string, body?: unknown): Promise<Answer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const started = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.host,
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: payload
            ? { 'Content-Type': 'application/json', 'Content-Length': payload.length }
            : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks),
              ms: Number(process.hrtime.bigint() - started) / 1e6,
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Calls that must succeed: a failed one stops the benchmark rather than being timed. */
  async ok(method: string, path: string, body?: unknown): Promise<Answer> {
    const answer = await this.call(method, path, body);
    if (answer.status >= 300)
      throw new Error(
        `${method} ${path} answered ${answer.status}: ${answer.body.toString().slice(0, 300)}`,
      );
    return answer;
  }

  async json<T>(path: string): Promise<T> {
    return JSON.parse((await this.ok('GET', path)).body.toString()) as T;
  }

  /** Times `count` sequential GETs (after a few untimed ones to warm up), returning times and the last size. */
  async timeGets(
    path: string | (() => string),
    count: number,
    warmup = 3,
  ): Promise<Timing & { bytes: number }> {
    const next = typeof path === 'string' ? () => path : path;
    for (let i = 0; i < warmup; i++) await this.ok('GET', next());
    const ms: number[] = [];
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      const answer = await this.ok('GET', next());
      ms.push(answer.ms);
      bytes = answer.body.length;
    }
    return { ...timing(ms), bytes };
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Requests per second over `seconds`, from `connections` loops each calling one after another. */
export async function throughput(
  client: Client,
  connections: number,
  seconds: number,
  path: string,
): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < until) {
        await client.ok('GET', path);
        done++;
      }
    }),
  );
  return done / seconds;
}
