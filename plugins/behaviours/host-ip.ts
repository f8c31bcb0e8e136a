import {
  documentMembers,
  lastMember,
  memberValue,
  spliced,
  type Span,
  type ByteRewrite,
  type NodeView,
  type SkepPlugin,
} from '../../core/plugin-api.js';

const PLUGIN_NAME = 'host-ip';

/**
 * A published port bound to every address of its node (`0.0.0.0`, `::` or empty) is shown with
 * the node's own address: the one a client can reach. Docker binds each port on both `0.0.0.0`
 * and `::`; both mean "every address of the node", so both become the node's IP
 * and the two rows collapse into one.
 */
const WILDCARDS = new Set(['', '0.0.0.0', '::']);

export const reachableIp = (hostIp: string | undefined, node: NodeView) =>
  WILDCARDS.has(hostIp ?? '') ? node.ip : hostIp!;

interface Binding {
  HostIp?: string;
  HostPort?: string;
}

interface ListedPort {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(key(item)) && (seen.add(key(item)), true));
}

/** `NetworkSettings.Ports` of an inspect: `{ "80/tcp": [{ HostIp, HostPort }] }`. */
export function rewriteBindings(
  ports: Record<string, Binding[] | null>,
  node: NodeView,
): Record<string, Binding[] | null> {
  const out: Record<string, Binding[] | null> = {};
  for (const [port, bindings] of Object.entries(ports)) {
    out[port] =
      bindings &&
      uniqueBy(
        bindings.map((b) => ({ ...b, HostIp: reachableIp(b.HostIp, node) })),
        (b) => `${b.HostIp}|${b.HostPort}`,
      );
  }
  return out;
}

/** `Ports` of a list row; exposed-only ports (no `PublicPort`) stay as they are. */
export function rewriteListed(ports: ListedPort[], node: NodeView): ListedPort[] {
  const rewritten = ports.map((p) =>
    p.PublicPort === undefined ? p : { ...p, IP: reachableIp(p.IP, node) },
  );
  return uniqueBy(rewritten, (p) => `${p.IP}|${p.PrivatePort}|${p.PublicPort}|${p.Type}`);
}

const OPEN_BRACE = 0x7b;

/**
 * The inspect rewrite in the engine's bytes: only `NetworkSettings.Ports` (a few bytes) is parsed,
 * rewritten and spliced back.
 */

export const inspectPortsBytes: ByteRewrite = (body, context) => {
  if (!context.node) return body;
  let settings: Span | null | undefined = lastMember(body, 'NetworkSettings');
  if (!settings) {
    const doc = documentMembers(body); // not where dockerd puts it: read every member
    if (!doc) return undefined;
    settings = doc.get('NetworkSettings');
  }
  if (!settings || body[settings.start] !== OPEN_BRACE) return body; // no ports to rewrite
  const ports = memberValue(body, settings.start, 'Ports');
  if (ports === undefined) return undefined;
  if (ports === null) return body;
  const text = body.toString('utf8', ports.start, ports.end);
  const parsed = JSON.parse(text) as Record<string, Binding[] | null> | null;
  if (!parsed) return body;
  return spliced(
    body,
    ports.start,
    ports.end,
    JSON.stringify(rewriteBindings(parsed, context.node)),
  );
};

export function hostIp(): SkepPlugin {
  return {
    name: PLUGIN_NAME,
    apply(hooks) {
      hooks.rewriteResponse
        .for('container.inspect')
        .tap({ name: PLUGIN_NAME, bytes: inspectPortsBytes }, (body, context) => {
          const inspect = body as {
            NetworkSettings?: { Ports?: Record<string, Binding[] | null> | null };
          };
          if (!context.node || !inspect?.NetworkSettings?.Ports) return body;
          return {
            ...inspect,
            NetworkSettings: {
              ...inspect.NetworkSettings,
              Ports: rewriteBindings(inspect.NetworkSettings.Ports, context.node),
            },
          };
        });
      hooks.rewriteContainerRow.tap(PLUGIN_NAME, (row, { node }) => {
        const ports = row.Ports as ListedPort[] | null | undefined;
        return ports ? { ...row, Ports: rewriteListed(ports, node) } : row;
      });
    },
  };
}
