import type { NodeView, Reservation } from './pipeline-types.js';

/** What a strategy's order reads of a node, as it was when the index last placed it. */
export interface NodeFigures {
  readonly name: string;
  readonly containers: number;
  readonly cpus: number;
  readonly memory: number;
  readonly reservedCpus: number;
  readonly reservedMemory: number;
}

/** A node with its score for one placement (a strategy's usage after the container). */
export interface Scored {
  readonly node: NodeFigures;
  readonly score: number;
}

/** A strategy's order, as an index keeps it (see `NodeIndex`). */
export interface IndexedOrder {
  /** The node's score for a placement that reserves `reserve`. */
  score(node: NodeFigures, reserve: Reservation): number;
  /** Best first; equal only for nodes of one name (the cluster's order decides those). */
  compare(a: Scored, b: Scored): number;
  /**
   * Nodes of one class keep their order whatever a placement reserves (the same capacity): the
   * index sorts each class once, and merges the classes per placement.
   */
  classOf(node: NodeFigures): string;
}

interface Entry extends Scored {
  readonly view: NodeView;
  /** The node's place in the cluster's order: the last tie-break, as a stable sort keeps it. */
  readonly seq: number;
  readonly sorted: Entry[];
}

const NOTHING: Reservation = Object.freeze({ cpus: 0, memory: 0 });

/**
 * Which places of a node list differ from the list it was made from (by core's `ViewList`). The list
 * it was made from is held weakly: held strongly, each list kept the one before it alive, and that one
 * its own, so every list since start stayed (5,000 pointers and the old views each, at every create).
 */
const changes = new WeakMap<
  readonly NodeView[],
  { from: WeakRef<readonly NodeView[]>; at: number[] }
>();

/**
 * `next` is `from` with the nodes at `at` changed, nothing else: an index brought from `from` to
 * `next` moves those only, without comparing every node.
 */
export function noteChanges(next: readonly NodeView[], from: readonly NodeView[], at: number[]) {
  changes.set(next, { from: new WeakRef(from), at });
}

/**
 * A strategy's ranking kept between placements: each class of nodes sorted once, a node moved
 * when its view changes (a create, a removal, a hold), so a placement reads the best nodes first
 * without sorting every node (at 5,000 nodes the sort was most of a create). Reading it in order
 * gives what sorting the nodes by `compare` would, ties kept in the cluster's order.
 */
export class NodeIndex {
  #nodes: readonly NodeView[] = [];
  #entries: Entry[] = [];
  #classes = new Map<string, Entry[]>();

  constructor(private readonly order: IndexedOrder) {}

  /**
   * Brought up to `nodes` (every node placement may use, in the cluster's order): the nodes whose
   * view changed are moved; a node added or gone sorts again.
   */
  update(nodes: readonly NodeView[]): void {
    const last = this.#nodes;
    if (nodes === last) return;
    const noted = changes.get(nodes);
    if (noted && noted.from.deref() === last) {
      for (const i of noted.at) this.#move(nodes, i);
      this.#nodes = nodes;
      return;
    }
    if (nodes.length !== last.length) return this.#rebuild(nodes);
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      if (node === last[i]) continue;
      if (node.addr !== last[i]!.addr) return this.#rebuild(nodes);
      this.#move(nodes, i);
    }
    this.#nodes = nodes;
  }

  /** The node at `i` changed: its entry placed again. */
  #move(nodes: readonly NodeView[], i: number): void {
    if (nodes[i] === this.#entries[i]!.view) return;
    this.#remove(this.#entries[i]!);
    this.#insert((this.#entries[i] = this.#entry(nodes[i]!, i)));
  }

  /** The nodes best first for a placement that reserves `reserve`, those `passes` keeps. */
  *ranked(reserve: Reservation, passes: (node: NodeView) => boolean): Generator<NodeView> {
    const classes = [...this.#classes.values()];
    const at = classes.map(() => 0);
    const plain = reserve.cpus === 0 && reserve.memory === 0;
    const scored = (e: Entry): Scored =>
      plain ? e : { node: e.node, score: this.order.score(e.node, reserve) };
    for (;;) {
      let best = -1;
      let bestScored: Scored | undefined;
      for (let c = 0; c < classes.length; c++) {
        const head = classes[c]![at[c]!];
        if (!head) continue;
        const s = classes.length === 1 ? head : scored(head);
        if (best < 0 || this.#before(s, head.seq, bestScored!, classes[best]![at[best]!]!.seq)) {
          best = c;
          bestScored = s;
        }
      }
      if (best < 0) return;
      const entry = classes[best]![at[best]!++]!;
      if (passes(entry.view)) yield entry.view;
    }
  }

  #before(a: Scored, aSeq: number, b: Scored, bSeq: number): boolean {
    const order = this.order.compare(a, b);
    return order < 0 || (order === 0 && aSeq < bSeq);
  }

  #entry(view: NodeView, seq: number): Entry {
    const node: NodeFigures = {
      name: view.name,
      containers: view.containers,
      cpus: view.cpus,
      memory: view.memory,
      reservedCpus: view.reservedCpus,
      reservedMemory: view.reservedMemory,
    };
    const key = this.order.classOf(node);
    let sorted = this.#classes.get(key);
    if (!sorted) this.#classes.set(key, (sorted = []));
    return { node, score: this.order.score(node, NOTHING), view, seq, sorted };
  }

  /** Where `entry` goes in its class: after every entry before it. */
  #place(entry: Entry): number {
    const sorted = entry.sorted;
    let [low, high] = [0, sorted.length];
    while (low < high) {
      const mid = (low + high) >>> 1;
      const other = sorted[mid]!;
      if (this.#before(other, other.seq, entry, entry.seq)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  #insert(entry: Entry): void {
    entry.sorted.splice(this.#place(entry), 0, entry);
  }

  #remove(entry: Entry): void {
    const sorted = entry.sorted;
    const at = this.#place(entry);
    const found = sorted[at] === entry ? at : sorted.indexOf(entry);
    sorted.splice(found, 1);
    if (sorted.length === 0)
      for (const [key, list] of this.#classes) if (list === sorted) this.#classes.delete(key);
  }

  #rebuild(nodes: readonly NodeView[]): void {
    this.#classes = new Map();
    this.#entries = nodes.map((node, i) => this.#entry(node, i));
    for (const entry of this.#entries) entry.sorted.push(entry);
    for (const sorted of this.#classes.values())
      sorted.sort((a, b) => this.order.compare(a, b) || a.seq - b.seq);
    this.#nodes = nodes;
  }
}
