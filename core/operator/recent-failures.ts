/** One placement that found no node, as the status page lists it. */
export interface PlacementFailure {
  time: string;
  kind: string;
  /** Classic's message, then Skep's reasons. */
  message: string;
  /** Why each node was left out. */
  rejections: readonly { node: string; by: string; reason: string }[];
}

const KEPT = 20;

/**
 * The last placement failures, newest first;
 * bounded, and each one's rejections capped (1,000 nodes).
 */
export class RecentFailures {
  private readonly list: PlacementFailure[] = [];

  add(failure: Omit<PlacementFailure, 'time'>): void {
    this.list.unshift({
      ...failure,
      rejections: failure.rejections.slice(0, 50),
      time: new Date().toISOString(),
    });
    if (this.list.length > KEPT) this.list.pop();
  }

  all(): readonly PlacementFailure[] {
    return this.list;
  }
}
