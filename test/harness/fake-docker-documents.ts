import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type {
  ContainerConfig,
  FakeContainer,
  FakeDocker,
  FakeImage,
  FakeNetwork,
  FakeVolume,
} from './fake-docker.js';

/**
 * Where a fake engine's documents come from (test/harness/fake-docker.ts answers the calls; these write the
 * answers). Two sources:
 * - `objects`, the unit tier's: what an engine holds is plain objects that tests read and change, and every
 *   answer is made from them when asked;
 * - `templates`, the bench fleet's: documents as a real dockerd 20.10 wrote them (fixtures/dockerd-20.10/), read
 *   once, shared by every engine of the process, with each container's values spliced into holes when asked (a
 *   few µs) and the text not kept: the texts kept grew the 10,000-engine fleet to 2.3 GB once the manager had
 *   read them all, so thousands of engines cost no parsed objects and no kept text.
 */
export interface Documents {
  /** What a new engine holds. */
  seed(): { images: FakeImage[]; networks: FakeNetwork[]; volumes: FakeVolume[] };
  /** The config of a container added without one. */
  readonly config: ContainerConfig;
  version(engine: FakeDocker): string;
  info(engine: FakeDocker): string;
  /** A container's row in `GET /containers/json`. */
  row(engine: FakeDocker, c: FakeContainer): string;
  inspect(engine: FakeDocker, c: FakeContainer): string;
  images(engine: FakeDocker): string;
  networks(engine: FakeDocker): string;
  volumes(engine: FakeDocker): string;
}

export const API_VERSION = '1.41';

/** dockerd's container states as `docker ps` and inspect name them (no pause or restart here). */
export const stateOf = (c: FakeContainer): 'running' | 'exited' | 'created' =>
  c.running ? 'running' : c.finishedAt !== undefined ? 'exited' : 'created';

/** go-units' HumanDuration, as dockerd writes a container's status. */
function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(ms / 3_600_000 + 0.5);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/** The row's `Status`, as dockerd's State.String() writes it. */
export function statusOf(c: FakeContainer, now = Date.now()): string {
  if (c.running) return `Up ${humanDuration(now - (c.startedAt ?? c.created) * 1000)}`;
  if (c.finishedAt === undefined) return 'Created';
  return `Exited (${c.exitCode}) ${humanDuration(now - c.finishedAt * 1000)} ago`;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
const iso = (seconds: number | undefined) =>
  seconds === undefined ? ZERO_TIME : new Date(seconds * 1000).toISOString();

/** Inspect's `State`. */
function state(c: FakeContainer): Record<string, unknown> {
  return {
    Status: stateOf(c),
    Running: c.running,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: c.running ? 4242 : 0,
    ExitCode: c.exitCode,
    Error: '',
    StartedAt: iso(c.startedAt),
    FinishedAt: iso(c.finishedAt),
  };
}

/**
 * What a container runs: inspect's `Path` and `Args`, and the row's `Command` (dockerd quotes an
 * argument with a space).
 */
function command(config: ContainerConfig): { path: string; args: string[]; line: string } {
  const [path = '', ...args] = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  return {
    path,
    args,
    line: [path, ...args.map((a) => (a.includes(' ') ? `'${a}'` : a))].join(' '),
  };
}

/** An image's row in `GET /images/json`, in dockerd 20.10's fields. */
export const imageRow = (i: FakeImage) => ({
  Containers: -1,
  Created: i.Created ?? 0,
  Id: i.Id,
  Labels: null,
  ParentId: '',
  RepoDigests: [],
  RepoTags: i.RepoTags,
  SharedSize: -1,
  Size: i.Size ?? 1,
  VirtualSize: i.Size ?? 1,
});

/** An image's inspect (what the manager reads of one). */
export const imageInspect = (i: FakeImage) => ({
  Id: i.Id,
  RepoTags: i.RepoTags,
  RepoDigests: [],
  Parent: '',
  Created: new Date((i.Created ?? 0) * 1000).toISOString(),
  Os: 'linux',
  Architecture: 'amd64',
  Size: i.Size ?? 1,
  VirtualSize: i.Size ?? 1,
  Config: {},
});

const volumeList = (volumes: FakeVolume[]) => JSON.stringify({ Volumes: volumes, Warnings: null });

/** The unit tier's source: every answer made from the engine's objects when asked. */
export const objectDocuments: Documents = {
  // a config of its own for each container, as tests may change one
  get config() {
    return { Image: 'busybox' };
  },
  seed: () => ({
    images: [],
    networks: [
      {
        Name: 'bridge',
        Id: randomBytes(32).toString('hex'),
        Driver: 'bridge',
        Scope: 'local',
        Labels: {},
      },
    ],
    volumes: [],
  }),
  version: () =>
    JSON.stringify({
      Version: '20.10.0-fake',
      ApiVersion: API_VERSION,
      MinAPIVersion: '1.12',
      Os: 'linux',
      Arch: 'amd64',
      KernelVersion: '6.0.0-fake',
    }),
  info: (e) => {
    const running = countRunning(e);
    return JSON.stringify({
      ID: e.id,
      Name: e.name,
      NCPU: e.ncpu,
      MemTotal: e.memTotal,
      Labels: e.labels,
      Containers: e.containers.size,
      ContainersRunning: running,
      ContainersPaused: 0,
      ContainersStopped: e.containers.size - running,
      Images: e.images.length,
      OSType: 'linux',
      OperatingSystem: 'Fake OS',
      KernelVersion: '6.0.0-fake',
      Driver: 'overlay2',
      ServerVersion: '20.10.0-fake',
      SystemTime: new Date().toISOString(),
    });
  },
  row: (_e, c) =>
    JSON.stringify({
      Id: c.id,
      Names: [`/${c.name}`],
      Image: c.config.Image ?? '',
      ImageID: c.imageId,
      Command: command(c.config).line,
      Created: c.created,
      Ports: [],
      Labels: c.config.Labels ?? {},
      State: stateOf(c),
      Status: statusOf(c),
      HostConfig: { NetworkMode: 'default' },
      NetworkSettings: { Networks: {} },
      Mounts: [],
    }),
  inspect: (_e, c) => {
    const { HostConfig, NetworkingConfig: _networking, ...config } = c.config;
    const { path, args } = command(c.config);
    return JSON.stringify({
      Id: c.id,
      Created: iso(c.created),
      Path: path,
      Args: args,
      State: state(c),
      Image: c.imageId,
      Name: `/${c.name}`,
      RestartCount: 0,
      Driver: 'overlay2',
      Platform: 'linux',
      HostConfig: { NetworkMode: 'default', ...HostConfig },
      Mounts: [],
      Config: {
        Hostname: c.id.slice(0, 12),
        ...config,
        Env: config.Env ?? [],
        Labels: config.Labels ?? {},
      },
      NetworkSettings: { Networks: {} },
    });
  },
  images: (e) => JSON.stringify(e.images.map(imageRow)),
  networks: (e) => JSON.stringify(e.networks),
  volumes: (e) => volumeList(e.volumes),
};

function countRunning(e: FakeDocker): number {
  let running = 0;
  for (const c of e.containers.values()) if (c.running) running++;
  return running;
}

/**
 * A document as text with holes: the values at these paths (`Config.Labels`) are cut out, and each render
 * splices in JSON text for them (or, for a hole given none, the document's own value, kept as text).
 */
class Template {
  private readonly parts: string[];
  private readonly holes: string[];
  private readonly defaults: Record<string, string> = {};

  constructor(doc: unknown, paths: string[]) {
    const copy = structuredClone(doc) as Record<string, unknown>;
    for (const path of paths) {
      const keys = path.split('.');
      const last = keys.pop()!;
      const parent = keys.reduce((o, k) => o[k] as Record<string, unknown>, copy);
      this.defaults[path] = JSON.stringify(parent[last]);
      parent[last] = `@@${path}@@`;
    }
    const split = JSON.stringify(copy).split(/"@@([\w.]+)@@"/);
    this.parts = split.filter((_, i) => i % 2 === 0);
    this.holes = split.filter((_, i) => i % 2 === 1);
  }

  render(values: Record<string, string | undefined>): string {
    let text = this.parts[0]!;
    for (let i = 0; i < this.holes.length; i++)
      text += (values[this.holes[i]!] ?? this.defaults[this.holes[i]!]) + this.parts[i + 1]!;
    return text;
  }
}

const FIXTURES = new URL('../../../test/harness/fixtures/dockerd-20.10/', import.meta.url);
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as unknown;

/** The bench fleet's source: dockerd 20.10's documents, shared, with each container's text made when asked. */
class TemplateDocuments implements Documents {
  readonly config: ContainerConfig;
  private readonly seeds: { images: FakeImage[]; networks: FakeNetwork[] };
  private readonly text: { version: string; images: string; networks: string; volumes: string };
  private readonly infoOf: Template;
  private readonly rowOf: Template;
  private readonly inspectOf: Template;
  /** dockerd's defaults under a create's own HostConfig (the fixture's, less its sample's published port). */
  private readonly hostConfig: Record<string, unknown>;

  constructor() {
    const inspect = fixture('container-inspect') as {
      Config: ContainerConfig;
      HostConfig: Record<string, unknown>;
    };
    const images = fixture('images') as FakeImage[];
    const networks = fixture('networks') as FakeNetwork[];
    this.config = inspect.Config;
    this.seeds = { images, networks };
    this.text = {
      version: JSON.stringify(fixture('version')),
      images: JSON.stringify(images),
      networks: JSON.stringify(networks),
      volumes: volumeList([]),
    };
    this.infoOf = new Template(fixture('info'), [
      'ID',
      'Name',
      'NCPU',
      'MemTotal',
      'Labels',
      'Containers',
      'ContainersRunning',
      'ContainersStopped',
      'Images',
      'SystemTime',
    ]);
    this.rowOf = new Template(fixture('container-row'), [
      'Id',
      'Names',
      'Image',
      'ImageID',
      'Command',
      'Created',
      'Labels',
      'State',
      'Status',
    ]);
    this.inspectOf = new Template(inspect, [
      'Id',
      'Created',
      'Path',
      'Args',
      'State',
      'Image',
      'Name',
      'HostConfig',
      'Config.Hostname',
      'Config.Env',
      'Config.Cmd',
      'Config.Entrypoint',
      'Config.Image',
      'Config.Labels',
    ]);
    this.hostConfig = { ...inspect.HostConfig, PortBindings: {} };
  }

  // a new engine holds the fixtures' image and networks: the same arrays, answered with the same text until it
  // pulls, builds or creates (which make it arrays of its own)
  seed() {
    return { images: this.seeds.images, networks: this.seeds.networks, volumes: [] };
  }

  version(): string {
    return this.text.version;
  }

  info(e: FakeDocker): string {
    const running = countRunning(e);
    return this.infoOf.render({
      ID: JSON.stringify(e.id),
      Name: JSON.stringify(e.name),
      NCPU: String(e.ncpu),
      MemTotal: String(e.memTotal),
      Labels: JSON.stringify(e.labels),
      Containers: String(e.containers.size),
      ContainersRunning: String(running),
      ContainersStopped: String(e.containers.size - running),
      Images: String(e.images.length),
      SystemTime: `"${new Date().toISOString()}"`,
    });
  }

  row(_e: FakeDocker, c: FakeContainer): string {
    const own = c.config !== this.config;
    return this.rowOf.render({
      Id: `"${c.id}"`,
      Names: JSON.stringify([`/${c.name}`]),
      Image: own ? JSON.stringify(c.config.Image ?? '') : undefined,
      ImageID: `"${c.imageId}"`,
      Command: own ? JSON.stringify(command(c.config).line) : undefined,
      Created: String(c.created),
      Labels: own ? JSON.stringify(c.config.Labels ?? {}) : undefined,
      State: `"${stateOf(c)}"`,
      Status: JSON.stringify(statusOf(c)),
    });
  }

  inspect(_e: FakeDocker, c: FakeContainer): string {
    const own = c.config !== this.config;
    const run = own ? command(c.config) : undefined;
    return this.inspectOf.render({
      Id: `"${c.id}"`,
      Created: `"${iso(c.created)}"`,
      Path: run && JSON.stringify(run.path),
      Args: run && JSON.stringify(run.args),
      State: JSON.stringify(state(c)),
      Image: `"${c.imageId}"`,
      Name: JSON.stringify(`/${c.name}`),
      // what the create asked for, over dockerd's defaults
      HostConfig:
        c.config.HostConfig && JSON.stringify({ ...this.hostConfig, ...c.config.HostConfig }),
      'Config.Hostname': `"${c.id.slice(0, 12)}"`,
      'Config.Env': own ? JSON.stringify(c.config.Env ?? []) : undefined,
      'Config.Cmd': own ? JSON.stringify(c.config.Cmd ?? null) : undefined,
      'Config.Entrypoint': own ? JSON.stringify(c.config.Entrypoint ?? null) : undefined,
      'Config.Image': own ? JSON.stringify(c.config.Image ?? '') : undefined,
      'Config.Labels': own ? JSON.stringify(c.config.Labels ?? {}) : undefined,
    });
  }

  images(e: FakeDocker): string {
    return e.images === this.seeds.images
      ? this.text.images
      : JSON.stringify(e.images.map((i) => ({ ...imageRow(i), ...i })));
  }

  networks(e: FakeDocker): string {
    return e.networks === this.seeds.networks ? this.text.networks : JSON.stringify(e.networks);
  }

  volumes(e: FakeDocker): string {
    return e.volumes.length === 0 ? this.text.volumes : volumeList(e.volumes);
  }
}

let templates: TemplateDocuments | undefined;

/** The bench fleet's source, read from the fixtures on first use. */
export const templateDocuments = (): Documents => (templates ??= new TemplateDocuments());
