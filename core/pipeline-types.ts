/**
 * The data the hook pipeline hands to plugins.
 * Plugins see these shapes only, never engine or cluster objects.
 */

import type { OtherRoute, RouteId } from './route-ids.js';
export type { OtherRoute, RouteId } from './route-ids.js';

export type NodeHealth = 'pending' | 'healthy' | 'unhealthy';

/** A read-only picture of one node (engine) as the scheduler and the plugins see it. */
export interface NodeView {
  /**
   * Engine ID plus address (`ID|addr`), as classic swarm made it, so cloned engines stay distinct.
   */
  readonly id: string;
  readonly name: string;
  /** `ip:port` for tcp engines, `unix:///path` for socket engines. */
  readonly addr: string;
  readonly ip: string;
  readonly health: NodeHealth;
  /**
   * What the operator set (`swarm node update --availability`):
   * `pause` and `drain` take no new containers.
   */
  readonly availability: 'active' | 'pause' | 'drain';
  readonly cpus: number;
  readonly memory: number;
  /**
   * Engine labels plus the standard tags (storagedriver, kernelversion, operatingsystem, ostype),
   * then the Skep-side labels (`swarm node update --label-add`) over them.
   */
  readonly labels: Readonly<Record<string, string>>;
  /** Containers on the node in any state, creates under way included. */
  readonly containers: number;
  /**
   * CPU cores and bytes of memory reserved by its containers (stopped ones too)
   * and by creates under way.
   */
  readonly reservedCpus: number;
  readonly reservedMemory: number;
  readonly serverVersion: string;
  readonly apiVersion: string;
  /**
   * The node's containers, creates under way included.
   * Built when first read: read it only when you need it.
   */
  readonly containerList: readonly NodeContainer[];
  /** The node's images. Built when first read. */
  readonly imageList: readonly NodeImage[];
  /** The node's networks and volumes (names as the engine knows them). Built when first read. */
  readonly networkList: readonly NodeResource[];
  readonly volumeList: readonly NodeResource[];
  /**
   * True when the node has the image:
   * full or short ID, `name[:tag]` (`:latest` when none), `name@digest`.
   */
  hasImage(ref: string): boolean;
}

/** A host port a container holds (published, or exposed under host networking), running or not. */
export interface HostPort {
  /** `0.0.0.0` or `::` for every address. */
  readonly ip: string;
  readonly port: number;
  readonly protocol: string;
}

/** A container as placement sees it. */
export interface NodeContainer {
  /** Empty for a create still under way. */
  readonly id: string;
  /** Without the leading slash. */
  readonly name: string;
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly running: boolean;
  readonly hostPorts: readonly HostPort[];
  /** The named volumes it mounts. */
  readonly volumes: readonly string[];
}

/** A network (`id` its ID) or a volume (`id` its name) on a node. */
export interface NodeResource {
  readonly id: string;
  readonly name: string;
  /** `local` when it lives on this node only; `global` or `swarm` when every node shares it. */
  readonly scope: string;
}

export interface NodeImage {
  readonly id: string;
  readonly tags: readonly string[];
  readonly digests: readonly string[];
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

export interface RequestContext {
  /**
   * The route's name; a request no route serves, and the manager's own work, have an `OtherRoute`.
   */
  readonly route: RouteId | OtherRoute;
  readonly method: string;
  /** The path without its `/v1.xx` prefix. */
  readonly path: string;
  /**
   * The query string's parameters. A `request` tap may change them before the route reads them
   * (list routes read `all`, `filters`, `limit`...; other routes pass the query to the engine as
   * the client sent it).
   */
  readonly query: Record<string, string>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The API version the client asked for in the path, if any. */
  readonly apiVersion?: string;
  /** The URL as the client sent it: the `/v1.xx` prefix and the query string included. */
  readonly url: string;
  /** Who is asking; absent for the manager's own work (a rescheduled container's create). */
  readonly client?: RequestClient;
  /**
   * The request body, read once: the route sends the same bytes on. At most 4 MiB (413 beyond),
   * within the body deadline. Read it only for JSON bodies (`headers['content-type']`): uploads
   * (build contexts, archives) stream.
   */
  readBody(): Promise<Buffer>;
  /**
   * Per-request scratch space shared by every hook of this request; key it by your plugin's name.
   */
  readonly state: Record<string, unknown>;
  /**
   * The manager's log, for what a plugin notices but does not refuse
   * (absent where no manager runs, as in unit tests).
   */
  readonly logger?: PluginLogger;
}

/** The client of a request: where it connects from and, under `--tlsverify`, its certificate. */
export interface RequestClient {
  /** The client's IP address; absent over a unix socket (its file mode decides who may connect). */
  readonly address?: string;
  /** The connection is TLS. */
  readonly tls: boolean;
  /**
   * The client's certificate, when the TLS handshake verified one against the CA (`--tlsverify`).
   */
  readonly certificate?: ClientCertificate;
}

export interface ClientCertificate {
  /** The subject's fields as `openssl` names them: `{ CN: 'alice', O: 'ops' }`. */
  readonly subject: Readonly<Record<string, string>>;
  /** The subject's common name: the user, as dockerd's authorization plugins see it. */
  readonly commonName: string;
  /** The client's certificate first, then its issuers up to the root that verified it. */
  readonly chain: readonly CertificateInChain[];
}

export interface CertificateInChain {
  readonly subject: Readonly<Record<string, string>>;
  readonly issuer: Readonly<Record<string, string>>;
  /** The certificate in PEM. */
  readonly pem: string;
}

export interface PluginLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** An answer as the client is about to get it (the `response` stage). */
export interface FinalAnswer {
  readonly status: number;
  /** Lower-case names, as Node keeps them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** An answer a `request` tap gives instead of the route (the request never reaches an engine). */
export interface Reply {
  status: number;
  /** JSON-serialisable; Docker's error shape is `{ message }`. */
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * What one filter requires of every node for this create, in classic swarm's words (its
 * `GetFilters`, e.g. `port 80 (Bridge mode)`, `zone==ssd`): when placement fails, the error lists
 * these, filter by filter, up to the filter that left no node, as classic did.
 */
export interface Condition {
  /** The filter (plugin) that holds it. */
  readonly by: string;
  readonly list: readonly string[];
  /**
   * The whole message when this filter is the one that left no node
   * (classic's health filter had its own).
   */
  readonly whenNoneLeft?: string;
}

/** Why one node was left out, for an error a user can act on. */
export interface Rejection {
  readonly node: string;
  /** The plugin (filter) that left it out. */
  readonly by: string;
  readonly reason: string;
}

/** What is being placed. `reschedule`: a container created again because its node failed. */
export type Placing = 'container' | 'build' | 'network' | 'volume' | 'reschedule';

/**
 * The request context of a placement: it says what is placed,
 * so a create-only rule needs no route id.
 */
export interface PlacementRequestContext extends RequestContext {
  readonly placing: Placing;
  /** The dry run (`POST /skep/placement`): nothing is held or created. */
  readonly dryRun: boolean;
}

/** What a container (or a build) reserves on its node: CPU cores and bytes of memory. */
export interface Reservation {
  readonly cpus: number;
  readonly memory: number;
}

/**
 * A node's containers as its engine counts them (stopped ones too), for the `nodeReserved` stage.
 */
export interface NodeTotals {
  /** The node's CPUs. */
  readonly ncpu: number;
  /** The sum of its containers' `HostConfig.CpuShares`, as the engine holds them. */
  readonly cpuShares: number;
  /** The sum of their `HostConfig.Memory`. */
  readonly memory: number;
}

/** What the `reserve` stage sees: the request after `beforeSchedule`. */
export interface ReserveContext {
  readonly request: CreateRequest;
  readonly requestContext: PlacementRequestContext;
}

export interface ScheduleContext {
  readonly request: CreateRequest;
  readonly requestContext: PlacementRequestContext;
  /** What is being placed (also `requestContext.placing`). */
  readonly placing: Placing;
  /**
   * Filters (and strategies, for resources) push here what they rejected;
   * an empty result turns these into the error message.
   */
  readonly rejections: Rejection[];
  /** Filters push here what they require (classic's words), whether or not a node fails it. */
  readonly conditions: Condition[];
  /**
   * Whether soft expressions (`==~`, `!=~`) count. Placement tries with them first, and when that
   * places nothing, once more without any of them, as classic swarm did.
   */
  readonly soft: boolean;
  /**
   * What the container reserves on its node, as the `reserve` stage made it (`memory` starts as
   * `HostConfig.Memory`; the cpu-cores built-in sets `cpus`). Placement holds it there from the
   * choice until the result is in the cache, so concurrent placements see it.
   */
  readonly reserve: Reservation;
}

/**
 * One filter's test of one node, for this placement pass (the filter stage node by node): `true`
 * keeps the node, a string leaves it out and says why.
 */
export interface NodeTest {
  /** The filter (plugin); stamped by core, whatever a tap writes. */
  readonly by: string;
  keep(node: NodeView): true | string;
}

/** What `filterNode` taps push to: the tests of this placement pass, in filter order. */
export interface NodeTests {
  readonly tests: NodeTest[];
}

/**
 * A strategy's index form (`order` stage): the nodes best first, each passing `passes`, read only
 * as far as placement reads them (placement takes the first). `nodes` is every node placement may
 * use, in the cluster's order: an index kept between placements updates from it.
 */
export interface NodeOrder {
  ranked(nodes: readonly NodeView[], passes: (node: NodeView) => boolean): Iterable<NodeView>;
}

/** The outcome of a pull a plugin asked for on one node. */
export interface PullResult {
  readonly ok: boolean;
  /**
   * The engine's HTTP status: its error's when it refused the pull at once,
   * 200 when the stream began (even if it then failed).
   */
  readonly status: number;
  /** The engine's (or registry's) error when the pull failed. */
  readonly message?: string;
}

/** What a `beforeEngineCreate` tap may do on the chosen node besides changing the body. */
export interface NodeActions {
  /** True when the node has the image (by name, name:tag, ID or digest). */
  hasImage(ref: string): boolean;
  /**
   * Pulls `ref` on the node, with these headers sent to the engine (for example `X-Registry-Auth`).
   * Skep never logs them. Resolves when the pull ended, successfully or not.
   */
  pull(ref: string, headers?: Record<string, string>): Promise<PullResult>;
}

export interface EngineCreateContext extends ScheduleContext {
  /** The node the scheduler chose; the body goes to this node's engine next. */
  readonly node: NodeView;
  readonly actions: NodeActions;
}

/** A `docker update` on its way to the node that holds the container. */
export interface EngineUpdateContext {
  readonly requestContext: RequestContext;
  readonly node: NodeView;
}

export interface CreatedContainer {
  readonly id: string;
  readonly name?: string;
  readonly node: NodeView;
  readonly warnings: string[];
}

/**
 * What a container row's taps may read besides the row:
 * only its node (the result is cached per row).
 */
export interface RowContext {
  readonly node: NodeView;
}

export interface ResponseContext extends RequestContext {
  readonly status: number;
  /** The node that answered, for container- and node-scoped routes. */
  readonly node?: NodeView;
  /**
   * For merged lists (`container.list`, `image.list`, `network.list`, `volume.list`):
   * the node a row came from. It follows the row through `{ ...row }` copies; a row a tap builds
   * from scratch has none.
   */
  nodeOf(row: object): NodeView | undefined;
}

/**
 * A `rewriteResponse` tap's byte form (its tap option `bytes`): the same rewrite, done on the
 * engine's answer as it came (compact JSON). Returns the new bytes, or `undefined` when it cannot
 * tell from the bytes; then the answer is parsed and every tap's function runs instead.
 */
export type ByteRewrite = (body: Buffer, context: ResponseContext) => Buffer | undefined;

/** The options a `rewriteResponse` tap may carry besides `name`, `stage` and `before`. */
export interface RewriteTapOptions {
  bytes?: ByteRewrite;
}
