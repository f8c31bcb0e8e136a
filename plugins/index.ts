/**
 * The one list of built-in plugins, and how configuration turns them on: the filters named by
 * `filters` (in that order), the strategy named by `strategy`, and every documented Swarm API
 * behaviour unless `builtins` turns it off (a configured plugin with the same name replaces it).
 */
import type { SkepPlugin } from '../core/plugin-api.js';
import { availability } from './behaviours/availability.js';
import { cpuCores } from './behaviours/cpu-cores.js';
import { engineApi } from './behaviours/engine-api.js';
import { hideSwarmContainers } from './behaviours/hide-swarm-containers.js';
import { hostIp } from './behaviours/host-ip.js';
import { imageNodeFilter } from './behaviours/image-node-filter.js';
import { import404 } from './behaviours/import-404.js';
import { nodeField } from './behaviours/node-field.js';
import { nodeNamePrefix } from './behaviours/node-name-prefix.js';
import { registryAuth } from './behaviours/registry-auth.js';
import { volumeAffinity } from './behaviours/volume-affinity.js';
import { authorization } from './authorization/index.js';
import { affinityFilter } from './filters/affinity.js';
import { constraintFilter } from './filters/constraint.js';
import { containerSlotsFilter } from './filters/containerslots.js';
import { dependencyFilter } from './filters/dependency.js';
import { healthFilter } from './filters/health.js';
import { portFilter } from './filters/port.js';
import { whitelistFilter } from './filters/whitelist.js';
import { binpackStrategy } from './strategies/binpack.js';
import type { StrategyOptions } from './strategies/fit.js';
import { randomStrategy } from './strategies/random.js';
import { spreadStrategy } from './strategies/spread.js';

export {
  authorization,
  availability,
  cpuCores,
  engineApi,
  hideSwarmContainers,
  hostIp,
  imageNodeFilter,
  import404,
  nodeField,
  nodeNamePrefix,
  registryAuth,
  volumeAffinity,
  affinityFilter,
  constraintFilter,
  containerSlotsFilter,
  dependencyFilter,
  healthFilter,
  portFilter,
  whitelistFilter,
  binpackStrategy,
  randomStrategy,
  spreadStrategy,
};

/** Classic swarm's filters, in its default order. */
export const FILTERS: Record<string, () => SkepPlugin> = {
  health: healthFilter,
  port: portFilter,
  containerslots: containerSlotsFilter,
  dependency: dependencyFilter,
  affinity: affinityFilter,
  constraint: constraintFilter,
  whitelist: whitelistFilter,
};

export const STRATEGIES: Record<string, (options: StrategyOptions) => SkepPlugin> = {
  spread: spreadStrategy,
  binpack: binpackStrategy,
  random: randomStrategy,
};

/**
 * The documented Swarm API behaviours (`docs/plugins.md`),
 * each a plugin that can be turned off by name.
 */
export const BEHAVIOURS: Record<string, () => SkepPlugin> = {
  'node-field': nodeField,
  'host-ip': hostIp,
  'node-name-prefix': nodeNamePrefix,
  'hide-swarm-containers': hideSwarmContainers,
  'image-node-filter': imageNodeFilter,
  'cpu-cores': cpuCores,
  'registry-auth': registryAuth,
  'import-404': import404,
  availability,
  'engine-api': engineApi,
  'volume-affinity': volumeAffinity,
};

export interface BuiltinSelection {
  filters: string[];
  strategy: string;
  builtins: Record<string, boolean>;
  /** `swarm.overcommit`, for the strategy. */
  overcommit?: number;
  /**
   * Docker authorization plugins to ask about every request, in order (`--authorization-plugin`).
   */
  authorizationPlugins?: (string | { name: string; address: string })[];
}

/**
 * Unknown names, and authorization plugins that cannot be found, are reported to the caller
 * (classic's words first), which turns them into a configuration error.
 */
export function builtinPlugins(selection: BuiltinSelection): {
  plugins: SkepPlugin[];
  unknown: string[];
} {
  const unknown: string[] = [];
  const plugins: SkepPlugin[] = [];
  if (selection.authorizationPlugins?.length) {
    try {
      plugins.push(authorization({ plugins: selection.authorizationPlugins }));
    } catch (err) {
      unknown.push((err as Error).message);
    }
  }
  for (const name of selection.filters) {
    const make = FILTERS[name];
    if (make) plugins.push(make());
    else
      unknown.push(`filter not supported: "${name}" (known: ${Object.keys(FILTERS).join(', ')})`);
  }
  const strategy = STRATEGIES[selection.strategy];
  if (strategy) plugins.push(strategy({ overcommit: selection.overcommit }));
  else
    unknown.push(
      `strategy not supported: "${selection.strategy}" (known: ${Object.keys(STRATEGIES).join(', ')})`,
    );
  for (const [name, make] of Object.entries(BEHAVIOURS)) {
    if (selection.builtins[name] !== false) plugins.push(make());
  }
  for (const name of Object.keys(selection.builtins)) {
    if (!(name in BEHAVIOURS))
      unknown.push(`unknown built-in "${name}" (known: ${Object.keys(BEHAVIOURS).join(', ')})`);
  }
  return { plugins, unknown };
}
