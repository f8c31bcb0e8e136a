/** The data the hook pipeline hands to plugins. Plugins see these shapes only, never engine or cluster objects. */

export type NodeHealth = 'pending' | 'healthy' | 'unhealthy';

/** A read-only picture of one node (engine) as the scheduler and the plugins see it. */
export interface NodeView {
  /** Engine ID plus address (`ID|addr`), as classic swarm made it, so cloned engines stay distinct. */
  readonly id: string;
  readonly name: string;
  /** `ip:port` for tcp engines, `unix:///path` for socket engines. */
  readonly addr: string;
  readonly ip: string;
  readonly health: NodeHealth;
  readonly cpus: number;
  readonly memory: number;
  /** Engine labels plus the standard tags (storagedriver, kernelversion, operatingsystem, ostype). */
  readonly labels: Readonly<Record<string, string>>;
  /** Containers on the node in any state, creates under way included. */
  readonly containers: number;
  readonly reservedCpus: number;
  readonly reservedMemory: number;
  readonly serverVersion: string;
  readonly apiVersion: string;
}

/** The body of `POST /containers/create`, as Docker defines it; the common keys are typed. */
export interface ContainerConfig {
  Image?: string;
  Env?: string[] | null;
  Labels?: Record<string, string> | null;
  HostConfig?: Record<string, unknown> & { CpuShares?: number; Memory?: number };
  [key: string]: unknown;
}

export interface CreateRequest {
  /** The `name` query parameter, if any. */
  name?: string;
  config: ContainerConfig;
  /** The other query parameter an engine reads on create: `platform`. */
  query: Record<string, string>;
}

/** Stable names of the routes whose responses plugins may rewrite. */
export type RouteId =
  | 'system.info'
  | 'system.version'
  | 'container.list'
  | 'container.inspect'
  | 'container.create'
  | 'image.list'
  | 'network.list'
  | 'volume.list'
  | (string & {});

export interface RequestContext {
  readonly route: RouteId;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The API version the client asked for in the path, if any. */
  readonly apiVersion?: string;
}

/** Why one node was left out, for an error a user can act on. */
export interface Rejection {
  readonly node: string;
  /** The plugin (filter) that left it out. */
  readonly by: string;
  readonly reason: string;
}

export interface ScheduleContext {
  readonly request: CreateRequest;
  readonly requestContext: RequestContext;
  /** Filters push here what they rejected; an empty result turns these into the error message. */
  readonly rejections: Rejection[];
}

export interface CreatedContainer {
  readonly id: string;
  readonly name?: string;
  readonly node: NodeView;
  readonly warnings: string[];
}

export interface ResponseContext extends RequestContext {
  readonly status: number;
  /** The node that answered, for container- and node-scoped routes. */
  readonly node?: NodeView;
}
