import type { Discovery } from './discovery.js';
import { parseEntries } from './entries.js';

/** `nodes://a,b`, `a,b`, one address, or a list of those: expanded once, never changes. */
export class StaticDiscovery implements Discovery {
  readonly entries: string[];

  constructor(specs: string[]) {
    this.entries = parseEntries(specs.map((spec) => spec.replace(/^nodes:\/\//, '')));
  }

  watch(onEntries: (entries: string[]) => void): () => void {
    onEntries(this.entries);
    return () => {};
  }

  async list(): Promise<string[]> {
    return this.entries;
  }
}
