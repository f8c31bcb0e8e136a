/**
 * Every route the API serves, by the stable name plugins key hooks by (`rewriteResponse.for(...)`,
 * `routeRequest.for(...)`). A unit test checks this list against the router, so it cannot drift.
 */
export const ROUTE_IDS = [
  'container.archive', 'container.attach', 'container.changes', 'container.commit', 'container.create', 'container.delete',
  'container.exec', 'container.export', 'container.inspect', 'container.kill', 'container.list', 'container.logs',
  'container.pause', 'container.prune', 'container.rename', 'container.resize', 'container.restart', 'container.start',
  'container.stats', 'container.stop', 'container.top', 'container.unpause', 'container.update', 'container.wait',
  'exec.inspect', 'exec.resize', 'exec.start',
  'image.build', 'image.build-prune', 'image.create', 'image.delete', 'image.distribution', 'image.get', 'image.history',
  'image.inspect', 'image.list', 'image.load', 'image.prune', 'image.push', 'image.search', 'image.tag',
  'network.connect', 'network.create', 'network.delete', 'network.disconnect', 'network.inspect', 'network.list', 'network.prune',
  'skep.placement',
  'swarm-mode.configs', 'swarm-mode.nodes', 'swarm-mode.secrets', 'swarm-mode.services', 'swarm-mode.swarm', 'swarm-mode.tasks',
  'system.auth', 'system.df', 'system.events', 'system.info', 'system.ping', 'system.version',
  'volume.create', 'volume.delete', 'volume.inspect', 'volume.list', 'volume.prune',
] as const;

/** The name of a route the API serves. */
export type RouteId = (typeof ROUTE_IDS)[number];

/**
 * What a request's context names when no route serves its method and path (`GET /nowhere`), and the work the
 * manager does on its own (`skep.reschedule`: a container created again after its node failed).
 */
export type OtherRoute = `${string} ${string}` | 'skep.reschedule';
