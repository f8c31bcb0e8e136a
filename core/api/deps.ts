import type { ResolvedConfig } from '../../config/types.js';
import type { Cluster } from '../cluster/cluster.js';
import type { SkepHooks } from '../hooks.js';
import type { Logger } from '../log.js';
import type { RequestContext } from '../pipeline-types.js';
import type { PlacementService } from '../scheduler/placement-service.js';
import type { ContainerCreator } from '../scheduler/container-creator.js';
import type { ManagerRole } from '../replication/role.js';
import type { PrimaryForwarder } from './replica.js';
import type { MaintenanceService } from '../cluster/maintenance-service.js';
import type { Telemetry } from '../telemetry.js';

/** What the HTTP layer is given; routes reach the cluster only through these. */
export interface ApiDeps {
  config: ResolvedConfig;
  cluster: Cluster;
  hooks: SkepHooks;
  /**
   * Everything that is placed goes through it (containers, builds, networks, volumes, the dry run).
   */
  placement: PlacementService;
  /** Containers are created through it (placed by `placement`). */
  containers: ContainerCreator;
  logger: Logger;
  /** Primary or replica (always primary without `--replication`). */
  role: ManagerRole;
  /** A replica's way to the primary; only under replication. */
  forwarder?: PrimaryForwarder;
  /** Node maintenance (`/skep/nodes`): availability and Skep-side labels. */
  maintenance: MaintenanceService;
  /** Told of every request answered (metrics); nothing without the operator listener. */
  telemetry: Telemetry;
}

/** Per-request state (classic swarm kept the API version on a shared struct: a data race). */
export interface SkepState {
  apiVersion?: string;
  /** The manager's log, handed to plugins through their request context. */
  logger?: Logger;
  /** `clients.bodyTimeout`: how long a JSON body may take to arrive. */
  bodyTimeoutMs?: number;
  /** The request body once something read it (see body.ts). */
  body?: Promise<Buffer>;
  /** The request as plugins see it, made when the route is known (see request-context.ts). */
  request?: RequestContext;
  /** This request's ID in log lines (`request_id`). */
  requestId?: string;
  /** Why the request failed, for the one log line a 5xx gets. */
  failure?: string;
  /** That cause is in the log already (see DockerError.logged). */
  failureLogged?: boolean;
}
