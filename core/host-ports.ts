import type { HostPort } from './pipeline-types.js';

/**
 * The parts of a create body (or an inspect document) that say which host ports a container holds.
 */
export interface PortConfig {
  HostConfig?:
    | {
        PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
        NetworkMode?: string;
      }
    | Record<string, unknown>;
  /** Where inspect keeps the exposed ports. */
  Config?: { ExposedPorts?: Record<string, unknown> | null } | Record<string, unknown>;
  /** Where a create body keeps them. */
  ExposedPorts?: Record<string, unknown> | null;
}

/**
 * The host ports a container holds or asks for:
 * published bindings with a fixed port, and exposed ports under host networking.
 */
export function hostPorts(config: PortConfig): HostPort[] {
  const host = (config.HostConfig ?? {}) as {
    PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
    NetworkMode?: string;
  };
  const exposed = ((config.Config as { ExposedPorts?: Record<string, unknown> | null } | undefined)
    ?.ExposedPorts ??
    config.ExposedPorts ??
    {}) as Record<string, unknown>;
  const out: HostPort[] = [];
  for (const [key, bindings] of Object.entries(host.PortBindings ?? {})) {
    const protocol = key.split('/')[1] ?? 'tcp';
    if (!Array.isArray(bindings)) continue; // not Docker's shape: the engine refuses it
    for (const b of bindings) {
      if (b && Number(b.HostPort || 0) > 0)
        out.push({
          ip: typeof b.HostIp === 'string' && b.HostIp ? b.HostIp : '0.0.0.0',
          port: Number(b.HostPort),
          protocol,
        });
    }
  }
  if (host.NetworkMode === 'host') {
    for (const key of Object.keys(exposed)) {
      const [port, protocol = 'tcp'] = key.split('/');
      if (Number(port) > 0) out.push({ ip: '0.0.0.0', port: Number(port), protocol });
    }
  }
  return out;
}
