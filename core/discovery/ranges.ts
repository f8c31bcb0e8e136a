import { ConfigError } from '../../config/errors.js';

/**
 * Expands classic swarm's ranges: `10.0.0.[10:12]:2375` → three addresses.
 * At most one range per entry, as classic.
 */
export function expandRange(entry: string): string[] {
  const m = /^(.*)\[(\d+):(\d+)\](.*)$/.exec(entry);
  if (!m) return [entry];
  const [, head, fromText, toText, tail] = m;
  const from = Number(fromText);
  const to = Number(toText);
  if (to < from) throw new ConfigError(`bad range "${entry}": ${to} is below ${from}`);
  if (to - from > 65_535) throw new ConfigError(`bad range "${entry}": too many addresses`);
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(`${head}${i}${tail}`);
  return out;
}
