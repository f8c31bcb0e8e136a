import type {
  NodeContainer,
  NodeImage,
  NodeView,
  Placing,
  RequestContext,
  ScheduleContext,
  ContainerConfig,
} from '../../core/plugin-api.js';

/** A request's context as plugins get it, for unit tests of plugins: a GET of `/` with no body unless told. */
export function requestFixture(
  over: Partial<RequestContext> & Pick<RequestContext, 'route'>,
): RequestContext {
  return {
    method: 'GET',
    path: '/',
    url: over.path ?? '/',
    query: {},
    headers: {},
    state: {},
    readBody: async () => Buffer.alloc(0),
    ...over,
  };
}

/** A NodeView for unit tests of plugins (no engine): what a filter or a strategy is given. */
export function fakeNode(name: string, over: Partial<Omit<NodeView, 'hasImage'>> = {}): NodeView {
  const containerList: NodeContainer[] = [...(over.containerList ?? [])];
  const imageList: NodeImage[] = [...(over.imageList ?? [])];
  return {
    id: `${name.toUpperCase()}:ID|10.0.0.1:2375`,
    name,
    addr: '10.0.0.1:2375',
    ip: '10.0.0.1',
    health: 'healthy',
    availability: 'active',
    cpus: 2,
    memory: 1000,
    labels: { zone: 'z0' },
    containers: containerList.length,
    reservedCpus: 0,
    reservedMemory: 0,
    serverVersion: '20.10',
    apiVersion: '1.41',
    ...over,
    containerList,
    imageList,
    networkList: over.networkList ?? [],
    volumeList: over.volumeList ?? [],
    hasImage: (ref) =>
      imageList.some(
        (i) => i.id.startsWith(ref) || i.tags.includes(ref.includes(':') ? ref : `${ref}:latest`),
      ),
  };
}

/** A container as placement sees it. */
export function fakeContainer(name: string, over: Partial<NodeContainer> = {}): NodeContainer {
  return {
    id: `${name}-id`,
    name,
    image: 'busybox',
    labels: {},
    running: true,
    hostPorts: [],
    volumes: [],
    ...over,
  };
}

/** The context of one placement (a container's create unless `placing` says otherwise). */
export function scheduleContext(
  config: ContainerConfig = { Image: 'busybox' },
  name?: string,
  placing: Placing = 'container',
): ScheduleContext {
  return {
    request: { name, config, query: {} },
    requestContext: {
      ...requestFixture({ route: 'container.create', method: 'POST', path: '/containers/create' }),
      placing,
      dryRun: false,
    },
    placing,
    rejections: [],
    conditions: [],
    soft: true,
    reserve: { cpus: 0, memory: Number(config.HostConfig?.Memory ?? 0) },
  };
}
