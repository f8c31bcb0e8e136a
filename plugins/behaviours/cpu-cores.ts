import type { SkepPlugin } from '../../core/plugin-api.js';

const NAME = 'cpu-cores';

/** What the engine is sent for `cores` on a node with `ncpu` CPUs (classic swarm's conversion). */
export const sharesFor = (cores: number, ncpu: number) => Math.ceil((cores * 1024) / ncpu);
/** And what a container's shares read back as. */
export const coresFor = (shares: number, ncpu: number) => Math.round((shares * ncpu) / 1024);

/**
 * `docker run -c N` (`HostConfig.CpuShares`) reserves N CPU cores: only a node with N unreserved cores is a
 * candidate, its engine gets the equivalent shares, and `docker inspect` reads the value back as cores.
 */
export function cpuCores(): SkepPlugin {
  return {
    name: NAME,
    apply(hooks) {
      hooks.filter.tap(NAME, (nodes, context) => {
        const cores = context.request.config.HostConfig?.CpuShares ?? 0;
        if (!(cores > 0)) return nodes;
        return nodes.filter((node) => {
          const free = node.cpus - node.reservedCpus;
          if (free >= cores) return true;
          context.rejections.push({ node: node.name, by: NAME, reason: `node ${node.name} has ${Math.max(free, 0)} of ${node.cpus} CPUs free; the container reserves ${cores} (CpuShares counts CPU cores)` });
          return false;
        });
      });
      hooks.beforeEngineCreate.tap(NAME, (config, { node }) => {
        const cores = config.HostConfig?.CpuShares ?? 0;
        if (cores > 0 && node.cpus > 0) config.HostConfig = { ...config.HostConfig, CpuShares: sharesFor(cores, node.cpus) };
        return config;
      });
      hooks.rewriteResponse.for('container.inspect').tap(NAME, (body, { node }) => {
        const inspect = body as { HostConfig?: { CpuShares?: number } };
        const shares = inspect?.HostConfig?.CpuShares;
        if (!node || !shares || !node.cpus) return body;
        return { ...inspect, HostConfig: { ...inspect.HostConfig, CpuShares: coresFor(shares, node.cpus) } };
      });
    },
  };
}
