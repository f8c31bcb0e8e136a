import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  API_VERSION,
  type Documents,
  imageInspect,
  objectDocuments,
  stateOf,
  templateDocuments,
} from './fake-docker-documents.js';

/**
 * NOT a Docker engine: the one fake engine of the tests and the bench, so placement, health, discovery and scale
 * are tested without root or dockerd. It answers, in dockerd 20.10's shapes and words, the calls the manager
 * makes: `/_ping` (GET and HEAD), `/version`, `/info`, the container list (filters `id`, `name`, `label` and
 * `status`, matched as dockerd matches them), inspect, create, start, stop, kill, rename, remove and prune,
 * images (list, inspect, a pull of what it is told it can pull, build), networks, volumes and an `/events`
 * stream; pipelined GETs are answered in order, as node's HTTP server reads them.
 *
 * Its documents come from one of two sources (test/harness/fake-docker-documents.ts): plain `objects` (the unit
 * tier's: what tests add and read), or dockerd 20.10's `templates`, shared and made lazily (the bench's fleet of
 * thousands, test/harness/fake-fleet.ts). The real-engine tier checks the same behaviour against dockerd.
 */
export interface FakeDockerOptions {
  name: string;
  ncpu?: number;
  memTotal?: number;
  labels?: string[];
  /** Image references it holds, `name:tag` (besides, from templates, the fixtures' busybox). */
  images?: string[];
  /** References a pull can get (anything else: the registry's 404). */
  pullable?: string[];
  /** Where its documents come from (default `objects`). */
  documents?: 'objects' | 'templates';
  /** Its ID in `/info` (default: `FAKE:` and 8 random hex digits). */
  id?: string;
  /** Where it listens (default 127.0.0.1, on a free port kept across `down` and `listen`). */
  host?: string;
  port?: number;
  /** Whether `calls` keeps every call (default true; a fleet only counts them, in `requests`). */
  recordCalls?: boolean;
}

/** A container's config, as the create's body gave it. */
export type ContainerConfig = Record<string, unknown> & {
  Image?: string;
  Labels?: Record<string, string>;
  Env?: string[];
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  HostConfig?: Record<string, unknown>;
  NetworkingConfig?: unknown;
};

export interface FakeContainer {
  id: string;
  name: string;
  config: ContainerConfig;
  running: boolean;
  /** Seconds since the epoch, as are the two below (a container never started has neither: it is `created`). */
  created: number;
  startedAt?: number;
  finishedAt?: number;
  exitCode: number;
  /** The ID of its image. */
  imageId: string;
}

export interface FakeImage {
  Id: string;
  RepoTags: string[];
  Created?: number;
  Size?: number;
}

export type FakeNetwork = Record<string, unknown> & { Name: string; Id: string; Driver?: string };
export type FakeVolume = Record<string, unknown> & { Name: string };

const imageId = (ref: string) => `sha256:${createHash('sha256').update(ref).digest('hex')}`;
const withTag = (ref: string) => (ref.includes(':') ? ref : `${ref}:latest`);
const now = () => Math.floor(Date.now() / 1000);

/** dockerd's filters of the container list (api/types/filters, daemon/list.go); those this fake answers. */
const PS_FILTERS = new Set([
  'ancestor',
  'before',
  'exited',
  'id',
  'isolation',
  'label',
  'name',
  'status',
  'health',
  'since',
  'volume',
  'network',
  'is-task',
  'publish',
  'expose',
]);
const ANSWERED_FILTERS = new Set(['id', 'name', 'label', 'status']);
const STATES = new Set([
  'created',
  'restarting',
  'running',
  'removing',
  'paused',
  'exited',
  'dead',
]);
const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const SIGNALS: Record<string, number> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  KILL: 9,
  USR1: 10,
  USR2: 12,
  TERM: 15,
};
const NO_QUERY = new URLSearchParams();

/** A filters parameter, in either of dockerd's forms (`{"id":["a"]}`, or the older `{"id":{"a":true}}`). */
function parseFilters(text: string | null): Map<string, string[]> {
  const filters = new Map<string, string[]>();
  if (!text) return filters;
  const raw = JSON.parse(text) as Record<string, string[] | Record<string, boolean>>;
  for (const [key, values] of Object.entries(raw ?? {}))
    filters.set(key, Array.isArray(values) ? values : Object.keys(values ?? {}));
  return filters;
}

/** dockerd's `filters.Match`: the value itself, or a regular expression found in it. */
function matches(patterns: string[], value: string): boolean {
  return patterns.some((p) => {
    if (p === value) return true;
    try {
      return new RegExp(p).test(value);
    } catch {
      return false;
    }
  });
}

/** dockerd's `filters.MatchKVList`: every `key` or `key=value` among the labels. */
function matchesLabels(wanted: string[], labels: Record<string, string> | undefined): boolean {
  if (!labels) return false;
  return wanted.every((w) => {
    const at = w.indexOf('=');
    const key = at < 0 ? w : w.slice(0, at);
    return key in labels && (at < 0 || labels[key] === w.slice(at + 1));
  });
}

/** httputils.BoolValue: anything but empty, 0, no, false and none. */
const boolValue = (v: string | null) =>
  !['', '0', 'no', 'false', 'none'].includes((v ?? '').trim().toLowerCase());

/** Go's encoding/json writes a map's keys in order. */
const sorted = (attributes: Record<string, string>) =>
  Object.fromEntries(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Api-Version': API_VERSION,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

const fail = (res: ServerResponse, status: number, message: string) =>
  send(res, status, JSON.stringify({ message }));

function empty(res: ServerResponse, status = 204): void {
  res.writeHead(status, { 'Api-Version': API_VERSION });
  res.end();
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

export class FakeDocker {
  readonly id: string;
  readonly containers = new Map<string, FakeContainer>();
  /** What it holds: replaced, not changed in place, when it pulls, builds or creates (templates share them). */
  images: FakeImage[];
  networks: FakeNetwork[];
  volumes: FakeVolume[];
  /** Every call but `/events`, as `METHOD /path` (no version prefix, no query), unless told not to keep them. */
  readonly calls: string[] = [];
  /** How many calls it was sent (`/events` aside). */
  requests = 0;
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
  /**
   * Its images, networks and volumes are asked for and never answered, while set: an engine whose
   * reads stall (overloaded, or paused), though it answers `/info` and its containers.
   */
  readsHang = false;
  /** Its images, networks and volumes are asked for and the connection closed unanswered, while set. */
  readsDropped = false;
  private readonly documents: Documents;
  private readonly watchers = new Set<ServerResponse>();
  private server?: Server;
  private port: number;
  /** Containers made so far: their IDs are this engine's ID and this count, hashed. */
  private made = 0;

  private constructor(private readonly options: FakeDockerOptions) {
    this.id = options.id ?? `FAKE:${randomBytes(4).toString('hex').toUpperCase()}`;
    this.port = options.port ?? 0;
    this.documents = options.documents === 'templates' ? templateDocuments() : objectDocuments;
    const seed = this.documents.seed();
    const own = (options.images ?? []).map((ref) => ({
      Id: imageId(withTag(ref)),
      RepoTags: [withTag(ref)],
    }));
    this.images = own.length > 0 ? [...seed.images, ...own] : seed.images;
    this.networks = seed.networks;
    this.volumes = seed.volumes;
  }

  static async start(options: FakeDockerOptions): Promise<FakeDocker> {
    const fake = new FakeDocker(options);
    await fake.listen();
    return fake;
  }

  get name(): string {
    return this.options.name;
  }

  get ncpu(): number {
    return this.options.ncpu ?? 2;
  }

  get memTotal(): number {
    return this.options.memTotal ?? 2 * 1024 ** 3;
  }

  get labels(): string[] {
    return this.options.labels ?? [];
  }

  get addr(): string {
    return `${this.options.host ?? '127.0.0.1'}:${this.port}`;
  }

  /** Listens (again, on the same address after `down`). */
  async listen(): Promise<void> {
    const server = createServer((req, res) => this.answer(req, res));
    // dockerd keeps an idle connection open; node would close it after 5 s
    server.keepAliveTimeout = 120_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.options.host ?? '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** The engine goes away as a killed dockerd does: its connections drop and new ones are refused, until `listen`. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const w of this.watchers) w.destroy();
    if (!server) return;
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  }

  stop(): Promise<void> {
    return this.down();
  }

  /**
   * A container made behind the manager's back (as `docker -H node run` would), announced on `/events`; made
   * `created` seconds since the epoch (now unless told), and started then when `running`.
   */
  add(
    name: string,
    config: ContainerConfig = this.documents.config,
    running = false,
    created = now(),
  ): FakeContainer {
    const c = this.make(name, config, created);
    this.containerEvent('create', c);
    if (running) this.start(c, created);
    return c;
  }

  /** A container removed behind the manager's back (as `docker -H node rm -f` would), announced on `/events`. */
  remove(id: string): void {
    const c = this.containers.get(id);
    if (c) this.destroy(c);
  }

  private make(name: string, config: ContainerConfig, created: number): FakeContainer {
    const image = this.image(String(config.Image ?? ''));
    const id = createHash('sha256').update(`${this.id}/${this.made++}`).digest('hex');
    const c: FakeContainer = {
      id,
      name,
      config,
      running: false,
      created,
      exitCode: 0,
      imageId: image?.Id ?? imageId(withTag(String(config.Image ?? ''))),
    };
    this.containers.set(id, c);
    return c;
  }

  private start(c: FakeContainer, at = now()): void {
    c.running = true;
    c.startedAt = at;
    this.containerEvent('start', c);
  }

  /** The container's main process ends on this signal (`kill`, then `die`). */
  private end(c: FakeContainer, signal: number): void {
    c.running = false;
    c.finishedAt = now();
    c.exitCode = 128 + signal;
    this.containerEvent('kill', c, { signal: String(signal) });
    this.containerEvent('die', c, { exitCode: String(c.exitCode) });
  }

  /** Removed, as `rm -f` removes: killed first if it runs. */
  private destroy(c: FakeContainer): void {
    if (c.running) this.end(c, SIGNALS.KILL!);
    this.containers.delete(c.id);
    this.containerEvent('destroy', c);
  }

  private named(name: string): FakeContainer | undefined {
    for (const c of this.containers.values()) if (c.name === name) return c;
    return undefined;
  }

  /** dockerd's truncindex: the one container whose ID starts so; none when several do. */
  private byPrefix(prefix: string): FakeContainer | undefined | 'several' {
    if (!prefix) return undefined;
    const exact = this.containers.get(prefix);
    if (exact) return exact;
    let found: FakeContainer | undefined;
    for (const c of this.containers.values()) {
      if (!c.id.startsWith(prefix)) continue;
      if (found) return 'several';
      found = c;
    }
    return found;
  }

  /** dockerd's GetContainer: by its ID, its name, or a prefix of its ID that no other container's has. */
  private container(ref: string, res: ServerResponse): FakeContainer | undefined {
    const c = this.containers.get(ref) ?? this.named(ref.replace(/^\//, '')) ?? this.byPrefix(ref);
    if (c === 'several')
      return void fail(res, 500, `Multiple IDs found with provided prefix: ${ref}`);
    if (!c) return void fail(res, 404, `No such container: ${ref}`);
    return c;
  }

  /** An image by reference (`busybox`, `docker.io/library/busybox:latest`) or ID (or a prefix of it). */
  private image(ref: string): FakeImage | undefined {
    const plain = ref.replace(/^docker\.io\/(library\/)?/, '');
    const id = plain.replace(/^sha256:/, '');
    return this.images.find(
      (i) =>
        i.RepoTags.includes(withTag(plain)) ||
        (id !== '' && i.Id.replace(/^sha256:/, '').startsWith(id)),
    );
  }

  private conflict(res: ServerResponse, name: string, holder: FakeContainer): void {
    fail(
      res,
      409,
      `Conflict. The container name "/${name}" is already in use by container "${holder.id}". You have to remove (or rename) that container to be able to reuse that name.`,
    );
  }

  private containerEvent(
    action: string,
    c: FakeContainer,
    extra: Record<string, string> = {},
  ): void {
    if (this.watchers.size === 0) return;
    // dockerd's LogContainerEventWithAttributes: the container's labels, its image and its name
    const attributes: Record<string, string> = { ...extra, ...c.config.Labels, name: c.name };
    if (c.config.Image) attributes.image = c.config.Image;
    this.publish({
      status: action,
      id: c.id,
      from: c.config.Image || undefined,
      Type: 'container',
      Action: action,
      Actor: { ID: c.id, Attributes: sorted(attributes) },
    });
  }

  /** An event as dockerd writes it (the old `status`, `id` and `from` only for containers and images). */
  private publish(message: Record<string, unknown>): void {
    if (this.watchers.size === 0) return;
    const ms = Date.now();
    const line = `${JSON.stringify({ ...message, scope: 'local', time: Math.floor(ms / 1000) }).slice(0, -1)},"timeNano":${ms}000000}\n`;
    for (const w of this.watchers) w.write(line);
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const raw = (q < 0 ? url : url.slice(0, q)).replace(/^\/v[\d.]+(?=\/)/, '');
    const method = req.method ?? 'GET';
    if (raw !== '/events') {
      this.requests++;
      if (this.options.recordCalls !== false) this.calls.push(`${method} ${raw}`);
    }
    let path = raw;
    try {
      if (raw.includes('%')) path = decodeURIComponent(raw);
    } catch {
      // not percent-encoding: the path as it came
    }
    const query = q < 0 ? NO_QUERY : new URLSearchParams(url.slice(q + 1));
    if (method === 'GET' || method === 'HEAD') return this.get(method, path, query, res);
    if (method === 'DELETE') return this.delete(path, query, res);
    if (method === 'POST') {
      return void readBody(req)
        .then((body) => this.post(path, query, body, req, res))
        .catch((err: Error) => (res.headersSent ? res.destroy() : fail(res, 500, err.message)));
    }
    fail(res, 404, 'page not found');
  }

  private get(method: string, path: string, query: URLSearchParams, res: ServerResponse): void {
    if (path === '/_ping') {
      // dockerd's pingHandler: `OK` as text, nothing for HEAD
      res.writeHead(200, {
        'Api-Version': API_VERSION,
        'Cache-Control': 'no-cache, no-store, must-revalidate',
        Pragma: 'no-cache',
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': method === 'HEAD' ? 0 : 2,
      });
      return void res.end(method === 'HEAD' ? undefined : 'OK');
    }
    if (method === 'HEAD') return fail(res, 404, 'page not found');
    const stockRead = ['/images/json', '/networks', '/volumes'].includes(path);
    if (this.readsHang && stockRead) return;
    if (this.readsDropped && stockRead) return void res.socket?.destroy();
    switch (path) {
      case '/version':
        return send(res, 200, this.documents.version(this));
      case '/info':
        return send(res, 200, this.documents.info(this));
      case '/images/json':
        return send(res, 200, this.documents.images(this));
      case '/networks':
        return send(res, 200, this.documents.networks(this));
      case '/volumes':
        return send(res, 200, this.documents.volumes(this));
      case '/containers/json':
        return this.list(query, res);
      case '/events':
        res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': API_VERSION });
        res.flushHeaders();
        this.watchers.add(res);
        res.on('close', () => this.watchers.delete(res));
        return;
    }
    const container = /^\/containers\/([^/]+)\/json$/.exec(path);
    if (container) {
      const c = this.container(container[1]!, res);
      return c && send(res, 200, this.documents.inspect(this, c));
    }
    const image = /^\/images\/(.+)\/json$/.exec(path);
    if (image) {
      const found = this.image(image[1]!);
      return found
        ? send(res, 200, JSON.stringify(imageInspect(found)))
        : fail(res, 404, `No such image: ${image[1]}`);
    }
    const network = /^\/networks\/([^/]+)$/.exec(path);
    if (network) {
      const found =
        this.networks.find((n) => n.Id === network[1] || n.Name === network[1]) ??
        this.networks.find((n) => n.Id.startsWith(network[1]!));
      return found
        ? send(res, 200, JSON.stringify({ ...found, Containers: {} }))
        : fail(res, 404, `network ${network[1]} not found`);
    }
    const volume = /^\/volumes\/([^/]+)$/.exec(path);
    if (volume) {
      const found = this.volumes.find((v) => v.Name === volume[1]);
      return found
        ? send(res, 200, JSON.stringify(found))
        : fail(res, 404, `get ${volume[1]}: no such volume`);
    }
    fail(res, 404, 'page not found');
  }

  /**
   * The container list, newest first, as dockerd 20.10's daemon/list.go makes it: `all` (or `limit`, or a
   * `status` filter) for stopped ones too; `id` is dockerd's truncindex (a prefix of one ID, an ambiguous prefix
   * matching nothing); `name` and `status` its `Match` (the value, or a regular expression found in it); `label`
   * its `MatchKVList`. A filter dockerd has and this fake does not answer is refused, never ignored.
   */
  private list(query: URLSearchParams, res: ServerResponse): void {
    let filters: Map<string, string[]>;
    try {
      filters = parseFilters(query.get('filters'));
    } catch (err) {
      return fail(res, 400, (err as Error).message);
    }
    for (const key of filters.keys()) {
      if (!PS_FILTERS.has(key)) return fail(res, 400, `Invalid filter '${key}'`);
      if (!ANSWERED_FILTERS.has(key))
        return fail(
          res,
          400,
          `the fake engine (NOT a Docker engine) does not filter containers by ${key}`,
        );
    }
    const status = filters.get('status');
    const invalid = status?.find((s) => !STATES.has(s));
    if (invalid !== undefined) return fail(res, 400, `Invalid filter 'status=${invalid}'`);
    const limit = Number(query.get('limit') ?? 0) || 0;
    const all = boolValue(query.get('all')) || limit > 0 || status !== undefined;
    const ids = filters.get('id');
    const byId = ids && new Set(ids.map((id) => this.byPrefix(id)));
    const names = filters.get('name');
    const labels = filters.get('label');
    const containers = [...this.containers.values()];
    const rows: string[] = [];
    for (let i = containers.length - 1; i >= 0; i--) {
      const c = containers[i]!;
      if (!c.running && !all) continue;
      if (byId && !byId.has(c)) continue;
      if (names && !matches(names, `/${c.name}`) && !matches(names, c.name)) continue;
      if (labels && !matchesLabels(labels, c.config.Labels)) continue;
      if (status && !matches(status, stateOf(c))) continue;
      rows.push(this.documents.row(this, c));
      if (rows.length === limit) break;
    }
    send(res, 200, `[${rows.join(',')}]`);
  }

  private delete(path: string, query: URLSearchParams, res: ServerResponse): void {
    const container = /^\/containers\/([^/]+)$/.exec(path);
    if (!container) return fail(res, 404, 'page not found');
    const c = this.container(container[1]!, res);
    if (!c) return;
    if (c.running && !boolValue(query.get('force'))) {
      return fail(
        res,
        409,
        `You cannot remove a running container ${c.id}. Stop the container before attempting removal or force remove`,
      );
    }
    this.destroy(c);
    empty(res);
  }

  private async post(
    path: string,
    query: URLSearchParams,
    body: Buffer,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const json = <T>() => JSON.parse(body.toString('utf8') || '{}') as T;
    switch (path) {
      case '/containers/create':
        return this.create(query, body, req, res);
      case '/containers/prune': {
        const deleted = [...this.containers.values()].filter((c) => !c.running);
        for (const c of deleted) this.destroy(c);
        // dockerd's event for the prune itself names no container
        this.publish({
          status: 'prune',
          Type: 'container',
          Action: 'prune',
          Actor: { ID: '', Attributes: { reclaimed: '0' } },
        });
        return send(
          res,
          200,
          JSON.stringify({
            ContainersDeleted: deleted.length > 0 ? deleted.map((c) => c.id) : null,
            SpaceReclaimed: 0,
          }),
        );
      }
      case '/images/create': {
        const ref = withTag(
          `${query.get('fromImage')}:${query.get('tag') || 'latest'}`.replace(/:latest:/, ':'),
        );
        if (!(this.options.pullable ?? []).map(withTag).includes(ref))
          return fail(
            res,
            404,
            `pull access denied for ${ref.split(':')[0]}, repository does not exist or may require 'docker login'`,
          );
        if (!this.images.some((i) => i.RepoTags.includes(ref)))
          this.images = [...this.images, { Id: imageId(ref), RepoTags: [ref] }];
        this.publish({
          status: 'pull',
          id: ref,
          Type: 'image',
          Action: 'pull',
          Actor: { ID: ref, Attributes: { name: ref } },
        });
        res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': API_VERSION });
        return void res.end(
          `{"status":"Pulling from ${ref}"}\n{"status":"Status: Downloaded newer image for ${ref}"}\n`,
        );
      }
      case '/build': {
        const tag = withTag(query.get('t') ?? `built-${this.images.length}`);
        res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': API_VERSION });
        res.write('{"stream":"Step 1/1 : FROM busybox\\n"}\n');
        if (this.buildMs) await new Promise((r) => setTimeout(r, this.buildMs));
        const image = { Id: imageId(`${tag}${Date.now()}`), RepoTags: [tag], Created: now() };
        this.images = [...this.images, image];
        this.publish({
          status: 'tag',
          id: image.Id,
          Type: 'image',
          Action: 'tag',
          Actor: { ID: image.Id, Attributes: { name: tag } },
        });
        return void res.end(
          `{"aux":{"ID":"${image.Id}"}}\n{"stream":"Successfully tagged ${tag}\\n"}\n`,
        );
      }
      case '/networks/create': {
        const { Name, Labels, Driver } = json<{
          Name: string;
          Labels?: Record<string, string>;
          Driver?: string;
        }>();
        if (this.networks.some((n) => n.Name === Name))
          return fail(res, 409, `network with name ${Name} already exists`);
        const network = {
          Name,
          Id: randomBytes(32).toString('hex'),
          Driver: Driver ?? 'bridge',
          Scope: 'local',
          Labels: Labels ?? {},
        };
        this.networks = [...this.networks, network];
        this.publish({
          Type: 'network',
          Action: 'create',
          Actor: { ID: network.Id, Attributes: { name: Name, type: network.Driver } },
        });
        return send(res, 201, JSON.stringify({ Id: network.Id, Warning: '' }));
      }
      case '/volumes/create': {
        const { Name, Labels } = json<{ Name: string; Labels?: Record<string, string> }>();
        const volume = {
          Name,
          Driver: 'local',
          Scope: 'local',
          Labels: Labels ?? {},
          Mountpoint: `/var/lib/docker/volumes/${Name}/_data`,
        };
        if (!this.volumes.some((v) => v.Name === Name)) this.volumes = [...this.volumes, volume];
        this.publish({
          Type: 'volume',
          Action: 'create',
          Actor: { ID: Name, Attributes: { driver: 'local' } },
        });
        return send(res, 201, JSON.stringify(volume));
      }
    }
    const container = /^\/containers\/([^/]+)\/(start|stop|kill|rename)$/.exec(path);
    if (!container) return fail(res, 404, 'page not found');
    const c = this.container(container[1]!, res);
    if (!c) return;
    switch (container[2]) {
      case 'start':
        // an answer of no change, as dockerd's, to a start of what runs (and a stop of what does not)
        if (c.running) return empty(res, 304);
        this.start(c);
        return empty(res);
      case 'stop':
        if (!c.running) return empty(res, 304);
        this.end(c, SIGNALS.TERM!);
        this.containerEvent('stop', c);
        return empty(res);
      case 'kill': {
        if (!c.running) return fail(res, 409, `Container ${c.id} is not running`);
        const signal = query.get('signal')?.toUpperCase().replace(/^SIG/, '') || 'KILL';
        this.end(c, SIGNALS[signal] ?? (Number(signal) || SIGNALS.KILL!));
        return empty(res);
      }
      case 'rename': {
        const name = (query.get('name') ?? '').replace(/^\//, '');
        if (!VALID_NAME.test(name))
          return fail(
            res,
            400,
            `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
          );
        if (name === c.name)
          return fail(res, 400, 'Renaming a container with the same name as its current name');
        const holder = this.named(name);
        if (holder) return this.conflict(res, name, holder);
        const old = c.name;
        c.name = name;
        this.containerEvent('rename', c, { oldName: `/${old}` });
        return empty(res);
      }
    }
  }

  private async create(
    query: URLSearchParams,
    body: Buffer,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    if (this.createDelayMs) await new Promise((r) => setTimeout(r, this.createDelayMs));
    if (this.createFailure) return fail(res, this.createFailure.status, this.createFailure.message);
    let config: ContainerConfig;
    try {
      config = JSON.parse(body.toString('utf8')) as ContainerConfig;
    } catch (err) {
      return fail(res, 400, (err as Error).message);
    }
    const ref = String(config.Image ?? '');
    if (!this.image(ref)) return fail(res, 404, `No such image: ${withTag(ref)}`);
    const given = query.get('name');
    if (given !== null && given !== '' && !VALID_NAME.test(given))
      return fail(
        res,
        400,
        `Invalid container name (${given}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
      );
    const name = given ? given.replace(/^\//, '') : `fake_${this.made}`;
    const holder = this.named(name);
    if (holder) return this.conflict(res, name, holder);
    const c = this.make(name, config, now());
    this.containerEvent('create', c);
    if (this.createThenDrop === 'down') return this.down();
    if (this.createThenDrop === 'hang up') return void req.socket.destroy();
    send(res, 201, JSON.stringify({ Id: c.id, Warnings: [] }));
  }
}
