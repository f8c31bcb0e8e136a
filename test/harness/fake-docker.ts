import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * NOT a Docker engine: the unit tier's in-process stand-in, so placement, health and discovery are tested
 * without root or dockerd. It answers, in dockerd 20.10's shapes, the calls the manager makes: specs, the
 * container list and inspect, create/start/rename/remove, images (pull of what it is told it can pull), build,
 * networks, volumes and an `/events` stream. The real-engine tier checks the same behaviour against dockerd.
 */
export interface FakeDockerOptions {
  name: string;
  ncpu?: number;
  memTotal?: number;
  labels?: string[];
  /** Image references it holds, `name:tag`. */
  images?: string[];
  /** References a pull can get (anything else: the registry's 404). */
  pullable?: string[];
}

interface FakeContainer {
  id: string;
  name: string;
  config: Record<string, unknown> & { Image?: string; Labels?: Record<string, string>; HostConfig?: Record<string, unknown> };
  running: boolean;
  created: number;
}

interface FakeImage {
  Id: string;
  RepoTags: string[];
}

const API = '1.41';
const id64 = () => randomBytes(32).toString('hex');
const imageId = (ref: string) => `sha256:${createHash('sha256').update(ref).digest('hex')}`;
const withTag = (ref: string) => (ref.includes(':') ? ref : `${ref}:latest`);

export class FakeDocker {
  readonly id = `FAKE:${randomBytes(4).toString('hex').toUpperCase()}`;
  readonly containers = new Map<string, FakeContainer>();
  readonly images: FakeImage[];
  readonly networks: Record<string, unknown>[] = [{ Name: 'bridge', Id: id64(), Driver: 'bridge', Scope: 'local', Labels: {} }];
  readonly volumes: Record<string, unknown>[] = [];
  /** Every call but `/events`, as `METHOD /path` (no version prefix, no query). */
  readonly calls: string[] = [];
  /** A create waits this long before it answers (a slow engine: what placement holds meanwhile shows). */
  createDelayMs = 0;
  /** A create is answered with this instead of made. */
  createFailure?: { status: number; message: string };
  /**
   * A create is made and then never answered: the connection is dropped (`hang up`), or the whole engine goes
   * away with it (`down`, as a dockerd killed mid-create), until `listen`.
   */
  createThenDrop?: 'hang up' | 'down';
  /** A build streams for this long before it ends. */
  buildMs = 0;
  private readonly watchers = new Set<ServerResponse>();
  private readonly sockets = new Set<Socket>();
  private server?: Server;
  private port = 0;

  private constructor(private readonly options: FakeDockerOptions) {
    this.images = (options.images ?? []).map((ref) => ({ Id: imageId(withTag(ref)), RepoTags: [withTag(ref)] }));
  }

  static async start(options: FakeDockerOptions): Promise<FakeDocker> {
    const fake = new FakeDocker(options);
    await fake.listen();
    return fake;
  }

  get name(): string {
    return this.options.name;
  }

  get addr(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Listens (again, on the same port after `down`). */
  async listen(): Promise<void> {
    const server = createServer((req, res) => void this.answer(req, res));
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** The engine goes away: connections drop and new ones are refused, until `listen`. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  stop(): Promise<void> {
    return this.down();
  }

  /** A container made behind the manager's back (as `docker -H node run` would), announced on `/events`. */
  add(name: string, config: FakeContainer['config'] = { Image: 'busybox' }, running = false): FakeContainer {
    const container = { id: id64(), name, config, running, created: Math.floor(Date.now() / 1000) };
    this.containers.set(container.id, container);
    this.emit('container', 'create', container.id, { name, image: String(config.Image ?? '') });
    return container;
  }

  /** A container removed behind the manager's back, announced on `/events`. */
  remove(id: string): void {
    if (this.containers.delete(id)) this.emit('container', 'destroy', id);
  }

  private emit(type: string, action: string, id: string, attributes: Record<string, string> = {}): void {
    const nano = BigInt(Date.now()) * 1_000_000n;
    const line = JSON.stringify({
      Type: type,
      Action: action,
      status: action,
      id,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(nano / 1_000_000_000n),
      timeNano: Number(nano),
    });
    for (const w of this.watchers) w.write(`${line}\n`);
  }

  private info(): Record<string, unknown> {
    const running = [...this.containers.values()].filter((c) => c.running).length;
    return {
      ID: this.id,
      Name: this.options.name,
      NCPU: this.options.ncpu ?? 2,
      MemTotal: this.options.memTotal ?? 2 * 1024 ** 3,
      Labels: this.options.labels ?? [],
      Containers: this.containers.size,
      ContainersRunning: running,
      ContainersPaused: 0,
      ContainersStopped: this.containers.size - running,
      Images: this.images.length,
      OSType: 'linux',
      OperatingSystem: 'Fake OS',
      KernelVersion: '6.0.0-fake',
      Driver: 'overlay2',
      ServerVersion: '20.10.0-fake',
      SystemTime: new Date().toISOString(),
    };
  }

  private row(c: FakeContainer): Record<string, unknown> {
    return {
      Id: c.id,
      Names: [`/${c.name}`],
      Image: c.config.Image ?? '',
      ImageID: imageId(withTag(String(c.config.Image ?? ''))),
      Command: '',
      Created: c.created,
      State: c.running ? 'running' : 'created',
      Status: c.running ? 'Up 1 second' : 'Created',
      Labels: c.config.Labels ?? {},
      Ports: [],
      Mounts: [],
      HostConfig: { NetworkMode: 'default' },
      NetworkSettings: { Networks: {} },
    };
  }

  private inspect(c: FakeContainer): Record<string, unknown> {
    return {
      Id: c.id,
      Name: `/${c.name}`,
      Created: new Date(c.created * 1000).toISOString(),
      Image: imageId(withTag(String(c.config.Image ?? ''))),
      State: {
        Status: c.running ? 'running' : 'created',
        Running: c.running,
        Paused: false,
        Restarting: false,
        Pid: c.running ? 42 : 0,
        ExitCode: 0,
        StartedAt: '0001-01-01T00:00:00Z',
        FinishedAt: '0001-01-01T00:00:00Z',
      },
      Config: { Hostname: c.id.slice(0, 12), Image: c.config.Image, Env: c.config.Env ?? [], Labels: c.config.Labels ?? {} },
      HostConfig: { NetworkMode: 'default', ...c.config.HostConfig },
      NetworkSettings: { Networks: {} },
      Mounts: [],
    };
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/v[\d.]+/, '');
    const method = req.method ?? 'GET';
    const body = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => resolve(Buffer.concat(chunks)));
    });
    const json = (status: number, value: unknown) => {
      const text = JSON.stringify(value);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Api-Version': API, 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    };
    const missing = (what: string) => json(404, { message: what });
    if (path !== '/events') this.calls.push(`${method} ${path}`);
    const container = /^\/containers\/([^/]+)(?:\/(\w+))?$/.exec(path);

    if (method === 'GET') {
      switch (path) {
        case '/_ping':
          return void res.end('OK');
        case '/version':
          return json(200, { Version: '20.10.0-fake', ApiVersion: API, MinAPIVersion: '1.12', Os: 'linux', Arch: 'amd64', KernelVersion: '6.0.0-fake' });
        case '/info':
          return json(200, this.info());
        case '/images/json':
          return json(
            200,
            this.images.map((i) => ({ ...i, RepoDigests: [], Created: 0, Size: 1, ParentId: '', Labels: null })),
          );
        case '/networks':
          return json(200, this.networks);
        case '/volumes':
          return json(200, { Volumes: this.volumes, Warnings: null });
        case '/events':
          res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': API });
          res.flushHeaders();
          this.watchers.add(res);
          res.on('close', () => this.watchers.delete(res));
          return;
        case '/containers/json': {
          const wanted = (JSON.parse(url.searchParams.get('filters') ?? '{}') as { id?: string[] }).id;
          const all = url.searchParams.get('all') === '1';
          return json(
            200,
            [...this.containers.values()].filter((c) => (all || c.running) && (!wanted || wanted.includes(c.id))).map((c) => this.row(c)),
          );
        }
      }
      const network = /^\/networks\/(.+)$/.exec(path);
      if (network) {
        const found = this.networks.find((n) => n.Id === network[1] || n.Name === network[1]);
        return found ? json(200, { ...found, Containers: {} }) : missing(`network ${network[1]} not found`);
      }
      const image = /^\/images\/(.+)\/json$/.exec(path);
      if (image) {
        const ref = image[1]!.replace(/^docker\.io\/(library\/)?/, '').replace(/^sha256:/, '');
        const found = this.images.find((i) => i.RepoTags.includes(withTag(ref)) || i.Id.replace(/^sha256:/, '').startsWith(ref));
        return found ? json(200, { ...found, RepoDigests: [], Config: {} }) : missing(`No such image: ${image[1]}`);
      }
      if (container?.[2] === 'json') {
        const c = this.containers.get(container[1]!);
        return c ? json(200, this.inspect(c)) : missing(`No such container: ${container[1]}`);
      }
    }
    if (method === 'POST' && path === '/containers/create') {
      if (this.createDelayMs) await new Promise((r) => setTimeout(r, this.createDelayMs));
      if (this.createFailure) return json(this.createFailure.status, { message: this.createFailure.message });
      const config = JSON.parse(body.toString('utf8')) as FakeContainer['config'];
      const image = String(config.Image ?? '');
      if (!this.images.some((i) => i.RepoTags.includes(withTag(image)) || i.Id.startsWith(image))) return missing(`No such image: ${withTag(image)}`);
      const name = url.searchParams.get('name') ?? `fake_${this.containers.size}`;
      if ([...this.containers.values()].some((c) => c.name === name)) return json(409, { message: `Conflict. The container name "/${name}" is already in use` });
      const c = { id: id64(), name, config, running: false, created: Math.floor(Date.now() / 1000) };
      this.containers.set(c.id, c);
      // dockerd's container events carry the container's labels among their attributes
      this.emit('container', 'create', c.id, { ...config.Labels, name, image });
      if (this.createThenDrop === 'down') return this.down();
      if (this.createThenDrop === 'hang up') return void req.socket.destroy();
      return json(201, { Id: c.id, Warnings: [] });
    }
    if (method === 'POST' && path === '/containers/prune') {
      const deleted = [...this.containers.values()].filter((c) => !c.running).map((c) => c.id);
      for (const id of deleted) this.remove(id);
      // dockerd's event for the prune itself names no container
      this.emit('container', 'prune', '', { reclaimed: '0' });
      return json(200, { ContainersDeleted: deleted, SpaceReclaimed: 0 });
    }
    if (method === 'POST' && path === '/images/create') {
      const ref = withTag(`${url.searchParams.get('fromImage')}:${url.searchParams.get('tag') || 'latest'}`.replace(/:latest:/, ':'));
      if (!(this.options.pullable ?? []).map(withTag).includes(ref)) return missing(`pull access denied for ${ref.split(':')[0]}, repository does not exist or may require 'docker login'`);
      if (!this.images.some((i) => i.RepoTags.includes(ref))) this.images.push({ Id: imageId(ref), RepoTags: [ref] });
      this.emit('image', 'pull', ref);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': API });
      return void res.end(`{"status":"Pulling from ${ref}"}\n{"status":"Status: Downloaded newer image for ${ref}"}\n`);
    }
    if (method === 'POST' && path === '/build') {
      const tag = withTag(url.searchParams.get('t') ?? `built-${this.images.length}`);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': API });
      res.write('{"stream":"Step 1/1 : FROM busybox\\n"}\n');
      if (this.buildMs) await new Promise((r) => setTimeout(r, this.buildMs));
      const image = { Id: imageId(`${tag}${Date.now()}`), RepoTags: [tag] };
      this.images.push(image);
      this.emit('image', 'tag', image.Id, { name: tag });
      return void res.end(`{"aux":{"ID":"${image.Id}"}}\n{"stream":"Successfully tagged ${tag}\\n"}\n`);
    }
    if (method === 'POST' && path === '/networks/create') {
      const { Name, Labels, Driver } = JSON.parse(body.toString('utf8')) as { Name: string; Labels?: Record<string, string>; Driver?: string };
      const network = { Name, Id: id64(), Driver: Driver ?? 'bridge', Scope: 'local', Labels: Labels ?? {} };
      this.networks.push(network);
      this.emit('network', 'create', network.Id, { name: Name, type: network.Driver });
      return json(201, { Id: network.Id, Warning: '' });
    }
    if (method === 'POST' && path === '/volumes/create') {
      const { Name, Labels } = JSON.parse(body.toString('utf8')) as { Name: string; Labels?: Record<string, string> };
      const volume = { Name, Driver: 'local', Scope: 'local', Labels: Labels ?? {}, Mountpoint: `/var/lib/docker/volumes/${Name}/_data` };
      if (!this.volumes.some((v) => v.Name === Name)) this.volumes.push(volume);
      this.emit('volume', 'create', Name, { driver: 'local' });
      return json(201, volume);
    }
    const c = container ? this.containers.get(container[1]!) : undefined;
    if (container && !c) return missing(`No such container: ${container[1]}`);
    if (c && method === 'POST' && container?.[2] === 'start') {
      c.running = true;
      this.emit('container', 'start', c.id, { name: c.name });
      res.writeHead(204, { 'Api-Version': API });
      return void res.end();
    }
    if (c && method === 'POST' && container?.[2] === 'rename') {
      const name = url.searchParams.get('name') ?? '';
      if ([...this.containers.values()].some((o) => o.name === name)) return json(409, { message: `Conflict. The container name "/${name}" is already in use` });
      const old = c.name;
      c.name = name;
      this.emit('container', 'rename', c.id, { name, oldName: `/${old}` });
      res.writeHead(204, { 'Api-Version': API });
      return void res.end();
    }
    if (c && method === 'DELETE' && !container?.[2]) {
      this.containers.delete(c.id);
      this.emit('container', 'destroy', c.id, { name: c.name });
      res.writeHead(204, { 'Api-Version': API });
      return void res.end();
    }
    json(404, { message: 'page not found' });
  }
}
