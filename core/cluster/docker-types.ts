/**
 * The parts of the Docker Engine API's JSON that the manager reads.
 * Everything else passes through untouched.
 */

export interface DockerVersion {
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  Os?: string;
  Arch?: string;
  KernelVersion?: string;
  [key: string]: unknown;
}

export interface DockerInfo {
  ID: string;
  Name: string;
  NCPU: number;
  MemTotal: number;
  Labels?: string[] | null;
  Driver?: string;
  KernelVersion?: string;
  OperatingSystem?: string;
  OSType?: string;
  ServerVersion?: string;
  SystemTime?: string;
  [key: string]: unknown;
}

export interface ContainerState {
  Status: string;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  Dead?: boolean;
  ExitCode: number;
  StartedAt: string;
  FinishedAt: string;
  Health?: { Status: string } | null;
}

/** One row of `GET /containers/json`. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Created: number;
  State: string;
  Status: string;
  Labels?: Record<string, string> | null;
  Ports?: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[];
  NetworkSettings?: { Networks?: Record<string, unknown> };
  Mounts?: { Name?: string; Source?: string; Destination?: string }[];
  [key: string]: unknown;
}

/** The parts of `GET /containers/{id}/json` that the cache uses. */
export interface ContainerInspect {
  Id: string;
  Name: string;
  /** With nanoseconds, unlike the list's whole seconds. */
  Created?: string;
  State: ContainerState;
  Config?: {
    Image?: string;
    Labels?: Record<string, string> | null;
    Tty?: boolean;
    StopTimeout?: number;
    ExposedPorts?: unknown;
  };
  HostConfig?: {
    Memory?: number;
    CpuShares?: number;
    PortBindings?: unknown;
    NetworkMode?: unknown;
  };
  ExecIDs?: string[] | null;
  [key: string]: unknown;
}

export interface ImageSummary {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created: number;
  [key: string]: unknown;
}

export interface DockerEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
  [key: string]: unknown;
}
