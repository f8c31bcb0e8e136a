import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * NOT Docker engines: a simulated fleet for the scale benchmark, because 1,000 real dockerd do not fit on one
 * machine. Each fake engine listens on its own loopback address (127.77.x.y:2375) and answers what the manager
 * calls on connect, refresh and create with documents shaped from a real dockerd 20.10 (bench/fixtures/), and
 * keeps an `/events` stream open that reports its creates, starts and removals as an engine would.
 */

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../bench/fixtures/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
const INSPECT = fixture('container-inspect');
const ROW = fixture('container-row');
const INFO = fixture('info');
const VERSION = JSON.stringify(fixture('version'));
const NETWORKS = JSON.stringify(fixture('networks'));
const IMAGE_ID = String(ROW.ImageID);
const IMAGES = JSON.stringify([
  { Id: IMAGE_ID, ParentId: '', RepoTags: ['busybox:latest'], RepoDigests: [], Created: 1795855000, Size: 2_100_000, SharedSize: -1, VirtualSize: 2_100_000, Labels: null, Containers: -1 },
]);
const VOLUMES = JSON.stringify({ Volumes: [], Warnings: null });
const PORT = 2375;

interface FakeContainer {
  id: string;
  name: string;
  created: number;
  running: boolean;
  /** Its documents as last rendered (the fleet must answer fast enough not to be what is measured). */
  row?: string;
  inspect?: string;
}

/** A document template whose per-container values are spliced in, so 30,000 containers cost no parsed objects. */
function template(doc: Record<string, unknown>, holes: Record<string, unknown>): (values: Record<string, string>) => string {
  const parts = JSON.stringify({ ...doc, ...holes }).split(/"@@(\w+)@@"/);
  return (values) => parts.map((part, i) => (i % 2 ? values[part] : part)).join('');
}

const inspectOf = template(INSPECT, {
  Id: '@@id@@',
  Name: '@@name@@',
  Created: '@@created@@',
  State: '@@state@@',
});
const rowOf = template(ROW, { Id: '@@id@@', Names: '@@names@@', Created: '@@created@@', State: '@@state@@', Status: '@@status@@' });

const stateOf = (c: FakeContainer) =>
  JSON.stringify({
    Status: c.running ? 'running' : 'exited',
    Running: c.running,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: c.running ? 4242 : 0,
    ExitCode: 0,
    Error: '',
    StartedAt: new Date(c.created * 1000).toISOString(),
    FinishedAt: '0001-01-01T00:00:00Z',
  });

const hexId = (engine: number, n: number) => `${engine.toString(16).padStart(8, '0')}${n.toString(16).padStart(8, '0')}`.repeat(4);

export interface FleetOptions {
  engines: number;
  containersPerEngine: number;
}

/** One fake engine: its containers and its open event streams. */
class FakeEngine {
  readonly containers = new Map<string, FakeContainer>();
  readonly watchers = new Set<ServerResponse>();
  private created = 0;

  constructor(
    readonly index: number,
    readonly ip: string,
    containers: number,
  ) {
    const now = Math.floor(Date.now() / 1000) - 3600;
    for (let n = 0; n < containers; n++) this.add(`${this.name}-c${n}`, now + n, true);
  }

  get name(): string {
    return `fake-${this.index}`;
  }

  add(name: string, created: number, running: boolean): FakeContainer {
    const c = { id: hexId(this.index, this.created++), name, created, running };
    this.containers.set(c.id, c);
    return c;
  }

  emit(action: string, c: FakeContainer): void {
    const nano = BigInt(Date.now()) * 1_000_000n;
    const line = JSON.stringify({
      status: action,
      id: c.id,
      from: 'busybox',
      Type: 'container',
      Action: action,
      Actor: { ID: c.id, Attributes: { image: 'busybox', name: c.name } },
      scope: 'local',
      time: Number(nano / 1_000_000_000n),
      timeNano: Number(nano),
    });
    for (const w of this.watchers) w.write(`${line}\n`);
  }

  info(): string {
    const running = [...this.containers.values()].filter((c) => c.running).length;
    return JSON.stringify({
      ...INFO,
      ID: `FAKE:${this.index}`,
      Name: this.name,
      NCPU: 4,
      MemTotal: 8 * 2 ** 30,
      Labels: [`zone=z${this.index % 2}`],
      Containers: this.containers.size,
      ContainersRunning: running,
      ContainersPaused: 0,
      ContainersStopped: this.containers.size - running,
      Images: 1,
      SystemTime: new Date().toISOString(),
    });
  }

  rowJson(c: FakeContainer): string {
    return (c.row ??= rowOf({
      id: JSON.stringify(c.id),
      names: JSON.stringify([`/${c.name}`]),
      created: String(c.created),
      state: JSON.stringify(c.running ? 'running' : 'exited'),
      status: JSON.stringify(c.running ? 'Up 1 hour' : 'Exited (0) 1 minute ago'),
    }));
  }

  inspectJson(c: FakeContainer): string {
    return (c.inspect ??= inspectOf({ id: JSON.stringify(c.id), name: JSON.stringify(`/${c.name}`), created: JSON.stringify(new Date(c.created * 1000).toISOString()), state: stateOf(c) }));
  }
}

/** The fleet: every fake engine, and how many requests they have been sent (open event streams aside). */
export class FakeFleet {
  requests = 0;
  private readonly servers: Server[] = [];

  private constructor(readonly engines: FakeEngine[]) {}

  static async start(options: FleetOptions): Promise<FakeFleet> {
    const engines = Array.from({ length: options.engines }, (_, i) => new FakeEngine(i, `127.77.${Math.floor(i / 250)}.${(i % 250) + 1}`, options.containersPerEngine));
    const fleet = new FakeFleet(engines);
    await Promise.all(engines.map((engine) => fleet.listen(engine)));
    return fleet;
  }

  get addresses(): string[] {
    return this.engines.map((e) => `${e.ip}:${PORT}`);
  }

  private listen(engine: FakeEngine): Promise<void> {
    const server = createServer((req, res) => this.answer(engine, req, res));
    server.keepAliveTimeout = 120_000;
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(PORT, engine.ip, () => resolve());
    });
  }

  /** One engine dies as a killed dockerd does: its listener closes and its connections drop. */
  kill(index: number): void {
    const server = this.servers[index]!;
    server.close();
    server.closeAllConnections();
    for (const watcher of this.engines[index]!.watchers) watcher.destroy();
  }

  async stop(): Promise<void> {
    for (const server of this.servers) server.closeAllConnections();
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))));
  }

  private answer(engine: FakeEngine, req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/v[\d.]+/, '');
    const method = req.method ?? 'GET';
    if (path !== '/events') this.requests++;
    const json = (status: number, body: string) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Api-Version': '1.41', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    const noContent = () => {
      res.writeHead(204, { 'Api-Version': '1.41' });
      res.end();
    };
    const containerMatch = /^\/containers\/([^/]+)(?:\/(json|start|stop|kill))?$/.exec(path);
    if (method === 'GET') {
      switch (path) {
        case '/_ping':
          return json(200, '"OK"');
        case '/version':
          return json(200, VERSION);
        case '/info':
          return json(200, engine.info());
        case '/images/json':
          return json(200, IMAGES);
        case '/networks':
          return json(200, NETWORKS);
        case '/volumes':
          return json(200, VOLUMES);
        case '/events':
          res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': '1.41' });
          res.flushHeaders();
          engine.watchers.add(res);
          res.on('close', () => engine.watchers.delete(res));
          return;
        case '/containers/json': {
          const wanted = (JSON.parse(url.searchParams.get('filters') ?? '{}') as { id?: string[] }).id;
          const all = url.searchParams.get('all') === '1';
          const rows = [...engine.containers.values()].filter((c) => (all || c.running) && (!wanted || wanted.some((w) => c.id.startsWith(w))));
          return json(200, `[${rows.map((c) => engine.rowJson(c)).join(',')}]`);
        }
      }
      if (containerMatch?.[2] === 'json') {
        const c = engine.containers.get(containerMatch[1]!);
        return c ? json(200, engine.inspectJson(c)) : json(404, JSON.stringify({ message: `No such container: ${containerMatch[1]}` }));
      }
    }
    if (method === 'POST' && path === '/containers/create') {
      req.resume();
      req.on('end', () => {
        const c = engine.add(url.searchParams.get('name') ?? `created-${Date.now()}`, Math.floor(Date.now() / 1000), false);
        engine.emit('create', c);
        json(201, JSON.stringify({ Id: c.id, Warnings: [] }));
      });
      return;
    }
    const c = containerMatch ? engine.containers.get(containerMatch[1]!) : undefined;
    if (containerMatch && !c) return json(404, JSON.stringify({ message: `No such container: ${containerMatch[1]}` }));
    if (c && method === 'POST' && containerMatch?.[2] === 'start') {
      c.running = true;
      c.row = c.inspect = undefined;
      engine.emit('start', c);
      return noContent();
    }
    if (c && method === 'POST' && (containerMatch?.[2] === 'stop' || containerMatch?.[2] === 'kill')) {
      c.running = false;
      c.row = c.inspect = undefined;
      engine.emit('die', c);
      return noContent();
    }
    if (c && method === 'DELETE' && !containerMatch?.[2]) {
      engine.containers.delete(c.id);
      engine.emit('destroy', c);
      return noContent();
    }
    json(404, JSON.stringify({ message: 'page not found' }));
  }
}
