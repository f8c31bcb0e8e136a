import test from 'ava';
import { createHooks, type SkepHooks } from '../../core/hooks.js';
import type { ContainerConfig, NodeContainer, NodeView } from '../../core/plugin-api.js';
import { noteChanges } from '../../core/node-index.js';
import { applyPlugins } from '../../core/plugins.js';
import { planOver } from '../../core/scheduler/plan.js';
import { builtinPlugins, FILTERS } from '../../plugins/index.js';
import { fakeContainer, fakeNode, scheduleContext } from '../harness/node-fixture.js';

/**
 * The node-by-node planner (the strategy's index read best first, each node's filters until one
 * passes) against the whole-list planner it replaces on the hot path (every filter over every
 * node, then the strategy's sort): over 10,000 random creates on a cluster that changes between
 * them, both must choose the same node, and say the same when none fits.
 */

const GiB = 1024 ** 3;
const CREATES = 10_000;

/** A small deterministic generator (mulberry32): a failure names its seed and replays. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    pick: <T>(list: readonly T[]) => list[int(list.length)]!,
    chance: (p: number) => next() < p,
  };
}
type Random = ReturnType<typeof random>;

const ZONES = ['z0', 'z1', 'z2'];
const IMAGES = ['busybox:latest', 'redis:7', 'nginx:1.25'];
const NETWORKS = ['backend', 'frontend'];
const VOLUMES = ['data', 'logs', 'cache'];

function randomContainer(r: Random, n: number): NodeContainer {
  return fakeContainer(`c${n}`, {
    id: `${n.toString(16).padStart(12, '0')}abcd`,
    image: r.pick(IMAGES).split(':')[0]!,
    labels: r.chance(0.3) ? { role: r.pick(['db', 'web', 'cache']) } : {},
    running: r.chance(0.8),
    hostPorts: r.chance(0.2)
      ? [{ ip: '0.0.0.0', port: r.pick([80, 443, 8080]), protocol: 'tcp' }]
      : [],
    volumes: r.chance(0.2) ? [r.pick(VOLUMES)] : [],
  });
}

let made = 0;
function randomNode(r: Random, i: number): NodeView {
  const cpus = r.pick([2, 4, 8]);
  const memory = r.pick([1, 2, 4]) * GiB;
  const containerList = Array.from({ length: r.int(4) }, () => randomContainer(r, made++));
  return fakeNode(`node${r.int(40)}`, {
    id: `ID${i}|10.1.${i >> 8}.${i & 255}:2375`,
    addr: `10.1.${i >> 8}.${i & 255}:2375`,
    health: r.chance(0.9) ? 'healthy' : 'unhealthy',
    availability: r.chance(0.95) ? 'active' : 'drain',
    cpus,
    memory,
    labels: {
      zone: r.pick(ZONES),
      storage: r.pick(['ssd', 'disk']),
      ...(r.chance(0.1) ? { containerslots: '3' } : {}),
    },
    containerList,
    containers: containerList.length,
    reservedCpus: r.int(cpus + 1),
    reservedMemory: r.int(5) * (memory / 4),
    imageList: IMAGES.filter(() => r.chance(0.5)).map((tag, k) => ({
      id: `sha256:${k}${tag.length}`,
      tags: [tag],
      digests: [],
    })),
    networkList: NETWORKS.filter(() => r.chance(0.3)).map((name) => ({
      id: `${name}-id`,
      name,
      scope: 'local',
    })),
    volumeList: VOLUMES.filter(() => r.chance(0.3)).map((name) => ({
      id: name,
      name,
      scope: 'local',
    })),
  });
}

/** A create as users write them: constraints, affinities (soft ones too), ports, dependencies, reservations. */
function randomCreate(r: Random, cluster: NodeView[]): ContainerConfig {
  const env: string[] = [];
  if (r.chance(0.3)) env.push(`constraint:zone${r.pick(['==', '!=', '==~'])}${r.pick(ZONES)}`);
  if (r.chance(0.1)) env.push(`constraint:storage==${r.pick(['ssd', 'disk', 's*'])}`);
  if (r.chance(0.05)) env.push(`constraint:node==${r.pick(cluster).name}`);
  if (r.chance(0.15))
    env.push(`affinity:image${r.pick(['==', '!=', '==~'])}${r.pick(IMAGES).split(':')[0]}`);
  if (r.chance(0.1)) env.push(`affinity:role${r.pick(['==', '!=~'])}${r.pick(['db', 'web'])}`);
  if (r.chance(0.05)) env.push(`affinity:container==c${r.int(made)}`);
  const host: Record<string, unknown> = {};
  if (r.chance(0.3)) host.Memory = r.pick([256, 512, 1024, 3072]) * 2 ** 20;
  if (r.chance(0.2)) host.CpuShares = r.pick([1, 2, 4]);
  if (r.chance(0.2))
    host.PortBindings = { '80/tcp': [{ HostPort: String(r.pick([80, 443, 8080])) }] };
  if (r.chance(0.05)) host.VolumesFrom = [`c${r.int(made)}`];
  if (r.chance(0.05))
    host.NetworkMode = r.chance(0.5) ? `container:c${r.int(made)}` : r.pick(NETWORKS);
  if (r.chance(0.1)) host.Binds = [`${r.pick(VOLUMES)}:/data`];
  return { Image: r.pick(IMAGES), Env: env, HostConfig: host };
}

/** The node with the container the placement chose (a new view, as the cache makes one). */
function withCreate(node: NodeView, n: number, config: ContainerConfig, memory: number): NodeView {
  const containerList = [
    ...node.containerList,
    fakeContainer(`c${n}`, { id: `${n.toString(16).padStart(12, '0')}abcd` }),
  ];
  const cpus = Number(config.HostConfig?.CpuShares ?? 0);
  return fakeNode(node.name, {
    ...node,
    containerList,
    containers: containerList.length,
    reservedCpus: node.reservedCpus + cpus,
    reservedMemory: node.reservedMemory + memory,
  });
}

/**
 * The list with one node changed, noted as core's view list notes it (the index moves that node
 * only); when several changes come between two placements, the index compares every node instead.
 */
function replaced(list: NodeView[], at: number, node: NodeView): NodeView[] {
  const next = list.with(at, node);
  noteChanges(next, list, [at]);
  return next;
}

function planner(strategy: string): SkepHooks {
  const hooks = createHooks();
  applyPlugins(
    hooks,
    builtinPlugins({ filters: Object.keys(FILTERS), strategy, builtins: {} }).plugins,
  );
  return hooks;
}

for (const strategy of ['spread', 'binpack']) {
  test(`${strategy}: node by node chooses what the whole list chooses, over ${CREATES / 2} random creates`, async (t) => {
    const seed = strategy === 'spread' ? 31 : 47;
    const r = random(seed);
    const hooks = planner(strategy);
    let cluster = Array.from({ length: 60 }, (_, i) => randomNode(r, i));
    let [placed, none, nextNode] = [0, 0, cluster.length];
    for (let i = 0; i < CREATES / 2; i++) {
      const requestContext = scheduleContext(undefined, undefined, 'container').requestContext;
      const request = await hooks.beforeSchedule.promise(
        { name: `n${i}`, config: randomCreate(r, cluster), query: {} },
        { ...requestContext, placing: 'container', dryRun: false },
      );
      const placing = {
        ...requestContext,
        placing: 'container' as const,
        dryRun: false,
        state: {},
      };
      const fast = await planOver(hooks, cluster, request, placing);
      const whole = await planOver(
        hooks,
        cluster,
        request,
        { ...placing, state: {} },
        { whole: true },
      );
      const what = `seed ${seed}, create ${i}: ${JSON.stringify(request.config)}`;
      if (fast.best !== whole.best)
        t.fail(`${what}: ${fast.best?.addr} instead of ${whole.best?.addr}`);
      if (fast.message !== whole.message)
        t.fail(`${what}: "${fast.message}" instead of "${whole.message}"`);
      if (!whole.best) none++;
      else {
        placed++;
        const at = cluster.indexOf(whole.best);
        cluster = replaced(
          cluster,
          at,
          withCreate(whole.best, made++, request.config, whole.context.reserve.memory),
        );
      }
      // the cluster changes as it does between creates: a removal, a node's health, nodes joining and leaving
      if (r.chance(0.1)) {
        const at = r.int(cluster.length);
        const node = cluster[at]!;
        const containerList = node.containerList.slice(1);
        cluster = replaced(
          cluster,
          at,
          fakeNode(node.name, { ...node, containerList, containers: containerList.length }),
        );
      }
      if (r.chance(0.02)) {
        const at = r.int(cluster.length);
        cluster = replaced(
          cluster,
          at,
          fakeNode(cluster[at]!.name, {
            ...cluster[at]!,
            health: r.chance(0.5) ? 'healthy' : 'unhealthy',
          }),
        );
      }
      if (r.chance(0.01)) cluster = [...cluster, randomNode(r, nextNode++)];
      if (r.chance(0.01) && cluster.length > 10)
        cluster = cluster.toSpliced(r.int(cluster.length), 1);
    }
    t.log(`${placed} placed, ${none} with no node`);
    // both kinds of answer were compared many times
    t.true(placed > CREATES / 10 && none > CREATES / 100, `${placed} placed, ${none} none`);
  });
}
