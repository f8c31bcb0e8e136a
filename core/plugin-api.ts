/**
 * The public plugin API: everything a plugin (built-in or third-party) may import. Nothing else in
 * core is part of the contract. Third parties import the same names from the package root
 * (`import { ... } from 'skep'`).
 */

export type { SkepHooks } from './hooks.js';
export type { PluginHooks, PluginTools } from './plugin-hooks.js';
export type {
  OperatorAnswer,
  OperatorRequest,
  OperatorRoute,
  OperatorTools,
} from './operator/plugin-routes.js';
export type * from './pipeline-types.js';
export { DockerError } from './errors.js';
/** Helpers that read Docker's own shapes the way the core does. */
export { hostPorts } from './host-ports.js';
/** Reading and splicing an engine's compact JSON in its bytes, for a `rewriteResponse` byte form. */
export {
  documentMembers,
  lastMember,
  memberValue,
  needle,
  objectMembers,
  spliced,
  Members,
  type Span,
} from './json-members.js';
export { SWARM_LABELS, labelStrings } from './swarm-labels.js';
export { truthy } from './query-flag.js';
export { nodeFits, nodesThatFit } from './reservation-fit.js';
export { NodeIndex, type IndexedOrder, type NodeFigures, type Scored } from './node-index.js';
export { neededApi } from './cluster/version-shims.js';
export { namedVolumes } from './volume-names.js';
export { compareVersions } from './cluster/api-version.js';
export {
  defineFilter,
  definePlacementFilter,
  definePlugin,
  type FilterOptions,
  type KeepNode,
  type PlacementFilterOptions,
} from './define-plugin.js';
export { type PluginFactory, type PluginOption, type SkepPlugin, STAGE } from './plugin.js';
