import { parseEngineAddress } from '../cluster/address.js';
import { expandRange } from './ranges.js';

/**
 * Engine addresses from text: comma- or line-separated entries, ranges expanded
 * (`10.0.0.[10:12]:2375`), blank lines and `#` comments skipped, duplicates dropped. Each is
 * checked, so a typo is an error, not a node that never connects.
 */
export function parseEntries(texts: string[]): string[] {
  const seen = new Set<string>();
  for (const text of texts) {
    for (const line of text.split('\n')) {
      for (const part of line.replace(/#.*$/, '').split(',')) {
        const trimmed = part.trim();
        if (trimmed === '') continue;
        for (const addr of expandRange(trimmed)) seen.add(parseEngineAddress(addr).addr);
      }
    }
  }
  return [...seen];
}
