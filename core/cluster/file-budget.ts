import { readFileSync } from 'node:fs';

/**
 * The manager's limit of open files (`ulimit -n`, its soft limit), read once: Node has no call for it,
 * Linux says it in /proc. Infinity where it cannot be read.
 */
let limit: number | undefined;
export function openFileLimit(): number {
  if (limit !== undefined) return limit;
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(
      readFileSync('/proc/self/limits', 'utf8'),
    );
    limit = !line || line[1] === 'unlimited' ? Infinity : Number(line[1]);
  } catch {
    limit = Infinity;
  }
  return limit;
}

/** Files kept for the rest: the listeners, clients' connections, logs, a store. */
const SPARE = 1024;

/** Two files per node (its event stream, a connection kept between checks) fit the limit. */
const twoPerNodeFit = (nodes: number, limit: number) => 2 * nodes + SPARE <= limit;

/**
 * How long an engine's idle connection is kept. A node holds its event stream and, kept between
 * health checks, one idle connection: two files per node. Where that does not fit the limit (10,000
 * nodes under a limit of 20,000), idle connections close after a second, so a burst of calls still
 * shares them and a health check connects anew (a connect per check: 14 a second at 5,000 nodes).
 */
export function idleConnectionMs(nodes: number, betweenChecksMs: number): number {
  return twoPerNodeFit(nodes, openFileLimit()) ? betweenChecksMs : 1000;
}

/**
 * How many nodes may be in their first contact (specs, events followed, container list) at once. Where
 * two files per node fit the limit, all of them. Else each node's event stream holds a file for good,
 * and the rest is shared by the contacts under way and the connections they leave idle for a second:
 * 10,000 nodes contacted at once under a limit of 20,000 ran out of files (`connect EMFILE`), and the
 * nodes that did lost their inventory reads.
 */
export function connectsAtOnce(nodes: number, limit = openFileLimit()): number {
  if (twoPerNodeFit(nodes, limit)) return Infinity;
  return Math.max(16, Math.floor((limit - nodes - SPARE) / 2));
}
