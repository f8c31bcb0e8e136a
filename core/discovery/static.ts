import { parseEngineAddress } from '../cluster/address.js';
import type { Discovery } from './discovery.js';
import { expandRange } from './ranges.js';

/** `nodes://a,b`, `a,b`, one address, or a list of those: expanded once, never changes. */
export class StaticDiscovery implements Discovery {
  readonly entries: string[];

  constructor(specs: string[]) {
    const seen = new Set<string>();
    for (const spec of specs) {
      for (const part of spec.replace(/^nodes:\/\//, '').split(',')) {
        const trimmed = part.trim();
        if (trimmed === '') continue;
        // checked now, so a typo stops the manager at start instead of becoming a node that never connects
        for (const addr of expandRange(trimmed)) seen.add(parseEngineAddress(addr).addr);
      }
    }
    this.entries = [...seen];
  }

  watch(onEntries: (entries: string[]) => void): () => void {
    onEntries(this.entries);
    return () => {};
  }
}
