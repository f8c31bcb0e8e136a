import { STAGE, type NodeView, type SkepPlugin } from '../../core/plugin-api.js';

const PLUGIN_NAME = 'node-field';

/** The Docker API's ContainerNode type, as classic swarm filled it. */
export function containerNode(node: NodeView) {
  return {
    ID: node.id,
    IP: node.ip,
    Addr: node.addr,
    Name: node.name,
    Cpus: node.cpus,
    Memory: node.memory,
    Labels: { ...node.labels },
  };
}

const isObject = (body: unknown): body is Record<string, unknown> =>
  typeof body === 'object' && body !== null && !Array.isArray(body);

/**
 * `docker inspect` of a container gains `Node`:
 * which node runs it (`{{.Node.Name}}`, `{{.Node.IP}}`).
 */
export function nodeField(): SkepPlugin {
  return {
    name: PLUGIN_NAME,
    apply(hooks) {
      hooks.rewriteResponse
        .for('container.inspect')
        .tap({ name: PLUGIN_NAME, stage: STAGE.SWARM_REWRITE }, (body, context) =>
          context.node && isObject(body) ? { ...body, Node: containerNode(context.node) } : body,
        );
    },
  };
}
