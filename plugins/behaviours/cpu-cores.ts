import {
  memberValue,
  spliced,
  STAGE,
  type ByteRewrite,
  type SkepPlugin,
} from '../../core/plugin-api.js';

const PLUGIN_NAME = 'cpu-cores';

const NAME = PLUGIN_NAME;
/** Where a container keeps the cores it asked for. */
export const CORES_LABEL = 'com.docker.swarm.cpu-cores';

/** What the engine is sent for `cores` on a node with `ncpu` CPUs (classic swarm's conversion). */
export const sharesFor = (cores: number, ncpu: number) => Math.ceil((cores * 1024) / ncpu);
/** And what a container's shares read back as. */
export const coresFor = (shares: number, ncpu: number) => Math.round((shares * ncpu) / 1024);

const OPEN_BRACE = 0x7b;

/** Inspect's `HostConfig.CpuShares` read back as cores, in the engine's bytes. */
export const inspectCoresBytes: ByteRewrite = (body, { node }) => {
  if (!node || !node.cpus) return body;
  const hostConfig = memberValue(body, 0, 'HostConfig');
  if (hostConfig === undefined) return undefined;
  if (hostConfig === null || body[hostConfig.start] !== OPEN_BRACE) return body; // no shares to read
  const shares = memberValue(body, hostConfig.start, 'CpuShares');
  if (shares === undefined) return undefined;
  if (shares === null) return body;
  const value = JSON.parse(body.toString('latin1', shares.start, shares.end)) as unknown;
  if (typeof value !== 'number') return undefined;
  if (!value) return body;
  return spliced(body, shares.start, shares.end, String(coresFor(value, node.cpus)));
};

/**
 * `docker run -c N` (`HostConfig.CpuShares`) reserves N CPU cores: the strategies rank only nodes
 * with N cores unreserved, the chosen node's engine gets the equivalent shares,
 * and `docker inspect` reads cores back.
 */
export function cpuCores(): SkepPlugin {
  return {
    name: NAME,
    apply(hooks) {
      // The cores asked for are kept in a label: a container created again from its inspect
      // (rescheduled off a failed node) carries the engine's shares,
      // and the label says what they meant.
      hooks.beforeSchedule.tap({ name: NAME, stage: STAGE.NORMALIZE }, (request) => {
        const config = request.config;
        const kept = Number(config.Labels?.[CORES_LABEL]);
        if (kept > 0) config.HostConfig = { ...config.HostConfig, CpuShares: kept };
        else if (Number(config.HostConfig?.CpuShares ?? 0) > 0)
          config.Labels = { ...config.Labels, [CORES_LABEL]: String(config.HostConfig!.CpuShares) };
        return request;
      });
      // What the container reserves: every strategy ranks only nodes with that many cores free
      // (overcommit included).
      hooks.reserve.tap(NAME, (reservation, { request }) => {
        const cores = Number(request.config.HostConfig?.CpuShares ?? 0);
        return cores > 0 ? { ...reservation, cpus: cores } : reservation;
      });
      // And what a node's containers reserve:
      // the engine holds their shares, which read back as cores.
      hooks.nodeReserved.tap(NAME, (reserved, { cpuShares, ncpu }) =>
        ncpu > 0 ? { ...reserved, cpus: coresFor(cpuShares, ncpu) } : reserved,
      );
      hooks.beforeEngineCreate.tap(NAME, (config, { node }) => {
        const cores = config.HostConfig?.CpuShares ?? 0;
        if (cores > 0 && node.cpus > 0)
          config.HostConfig = { ...config.HostConfig, CpuShares: sharesFor(cores, node.cpus) };
        return config;
      });
      // docker update --cpu-shares N: N cores too, so inspect afterwards shows what was asked
      hooks.beforeEngineUpdate.tap(NAME, (update, { node }) => {
        const cores = Number(update.CpuShares ?? 0);
        if (cores > 0 && node.cpus > 0)
          return { ...update, CpuShares: sharesFor(cores, node.cpus) };
        return update;
      });
      hooks.rewriteResponse
        .for('container.inspect')
        .tap({ name: NAME, bytes: inspectCoresBytes }, (body, { node }) => {
          const inspect = body as { HostConfig?: { CpuShares?: number } };
          const shares = inspect?.HostConfig?.CpuShares;
          if (!node || !shares || !node.cpus) return body;
          return {
            ...inspect,
            HostConfig: { ...inspect.HostConfig, CpuShares: coresFor(shares, node.cpus) },
          };
        });
    },
  };
}
