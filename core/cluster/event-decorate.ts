import type { DockerEvent } from './docker-types.js';

/** The node an event came from, as classic swarm named it in events. */
export interface EventNode {
  name: string;
  id: string;
  addr: string;
  ip: string;
}

/**
 * An engine's event as classic swarm passed it on: `Actor.Attributes` gains `node.name`,
 * `node.id`, `node.addr`, `node.ip`; `from` gains ` node:NAME`; a top-level `node` object is
 * added. Returns the event and its text, written with the exact `timeNano` (beyond what a JSON
 * number keeps).
 */
export function decorateEvent(
  event: DockerEvent,
  timeNano: bigint,
  node: EventNode,
): { event: DockerEvent; raw: string } {
  const attributes = {
    ...event.Actor?.Attributes,
    'node.name': node.name,
    'node.id': node.id,
    'node.addr': node.addr,
    'node.ip': node.ip,
  };
  const { timeNano: _inexact, ...rest } = event;
  const decorated: DockerEvent = {
    ...rest,
    ...(typeof event.from === 'string' && event.Type !== 'swarm'
      ? { from: `${event.from} node:${node.name}` }
      : {}),
    Actor: { ...event.Actor, Attributes: attributes },
    node: { Name: node.name, Id: node.id, Addr: node.addr, Ip: node.ip },
  };
  return {
    event: decorated,
    raw: `${JSON.stringify(decorated).slice(0, -1)},"timeNano":${timeNano}}`,
  };
}

/**
 * Skep's own event (classic swarm's `Type: swarm` events): a node connects, disconnects or
 * reconnects (`engine_connect`...), or a container is moved off a failed node
 * (`container_reschedule`, with its details).
 */
export function swarmEvent(
  action: string,
  node: EventNode,
  attributes: Record<string, string> = {},
  nowMs = Date.now(),
): { event: DockerEvent; timeNano: bigint } {
  const timeNano = BigInt(nowMs) * 1_000_000n;
  const event: DockerEvent = {
    status: action,
    id: '',
    from: 'swarm',
    Type: 'swarm',
    Action: action,
    Actor: { ID: node.id, Attributes: attributes },
    scope: 'local',
    time: Math.floor(nowMs / 1000),
  };
  return { event, timeNano };
}
