import type { ServerResponse } from 'node:http';
import type { Cluster, ClusterEvent } from '../cluster/cluster.js';
import type { ManagerRole } from '../replication/role.js';
import type { RecentFailures } from './recent-failures.js';
import { managerStatus, type NodeStatus, nodeStatus } from './status-model.js';

/**
 * How often watchers are told what changed: often enough to feel live,
 * rarely enough to cost nothing at 1,000 nodes.
 */
const TICK_MS = 1000;
/** Events sent per tick at most: a burst is summed up, never queued without bound. */
const EVENTS_PER_TICK = 50;

/**
 * The status page's live feed (server-sent events): a `snapshot` when a page connects, then once
 * a tick only what changed: `nodes` (changed rows and removed addresses), `manager`, `failures`,
 * and the `events` that came. It runs only while a page watches.
 */
export class StatusFeed {
  private readonly watchers = new Set<ServerResponse>();
  private timer?: NodeJS.Timeout;
  private sent = new Map<string, string>();
  private sentManager = '';
  private sentFailures = '';
  private events: object[] = [];
  private dropped = 0;
  private readonly onEvent = (e: ClusterEvent) => {
    const { event } = e;
    if (this.events.length < EVENTS_PER_TICK)
      this.events.push({
        time: event.time,
        type: event.Type,
        action: event.Action,
        node: e.engine.name,
        actor: event.Actor?.Attributes?.name ?? event.Actor?.ID?.slice(0, 12) ?? '',
      });
    else this.dropped++;
  };

  constructor(
    private readonly cluster: Cluster,
    private readonly role: ManagerRole,
    private readonly failures: RecentFailures,
    private readonly scheduling: { strategy: string; filters: string[] },
  ) {}

  snapshot() {
    return {
      manager: managerStatus(this.cluster, this.role, this.scheduling),
      nodes: this.cluster.all().map(nodeStatus),
      failures: this.failures.all(),
    };
  }

  watch(res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
    });
    const snapshot = this.snapshot();
    send(res, 'snapshot', snapshot);
    if (this.watchers.size === 0) this.start(snapshot.nodes);
    this.watchers.add(res);
    res.on('close', () => {
      this.watchers.delete(res);
      if (this.watchers.size === 0) this.stop();
    });
  }

  close(): void {
    for (const res of this.watchers) res.end();
    this.stop();
  }

  private start(nodes: NodeStatus[]): void {
    this.sent = new Map(nodes.map((n) => [n.addr, JSON.stringify(n)]));
    this.sentFailures = JSON.stringify(this.failures.all());
    this.cluster.on('event', this.onEvent);
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.cluster.off('event', this.onEvent);
    this.events = [];
  }

  private tick(): void {
    const changed: NodeStatus[] = [];
    const seen = new Set<string>();
    for (const engine of this.cluster.engines.values()) {
      const row = nodeStatus(engine);
      const text = JSON.stringify(row);
      seen.add(row.addr);
      if (this.sent.get(row.addr) !== text) {
        this.sent.set(row.addr, text);
        changed.push(row);
      }
    }
    const removed = [...this.sent.keys()].filter((addr) => !seen.has(addr));
    for (const addr of removed) this.sent.delete(addr);
    if (changed.length > 0 || removed.length > 0) this.broadcast('nodes', { changed, removed });
    const manager = managerStatus(this.cluster, this.role, this.scheduling);
    if (JSON.stringify(manager) !== this.sentManager) this.broadcast('manager', manager);
    this.sentManager = JSON.stringify(manager);
    const failures = JSON.stringify(this.failures.all());
    if (failures !== this.sentFailures) this.broadcast('failures', this.failures.all());
    this.sentFailures = failures;
    if (this.events.length > 0 || this.dropped > 0)
      this.broadcast('events', { events: this.events, dropped: this.dropped });
    this.events = [];
    this.dropped = 0;
  }

  private broadcast(event: string, data: unknown): void {
    for (const res of this.watchers) send(res, event, data);
  }
}

function send(res: ServerResponse, event: string, data: unknown): void {
  if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}
