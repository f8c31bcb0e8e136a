/**
 * Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, and each side of a relay has
 * its own, so a proxy does not pass them on. `Proxy-Connection` is the pre-standard spelling of
 * `Connection` some clients still send.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
]);

/** The header names a message's `Connection` headers list, lower case (`Connection: close, X-Trace`). */
export function connectionOptions(raw: readonly string[]): Set<string> {
  const listed = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() !== 'connection') continue;
    for (const token of raw[i + 1]!.split(',')) {
      const name = token.trim().toLowerCase();
      if (name) listed.add(name);
    }
  }
  return listed;
}

/**
 * Raw headers (name, value, name, value...) without the hop-by-hop ones: the fixed set and those the
 * message's `Connection` lists, except the names in `keep`.
 */
export function endToEnd(raw: readonly string[], keep: ReadonlySet<string> = new Set()): string[] {
  const listed = connectionOptions(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if ((HOP_BY_HOP.has(name) || listed.has(name)) && !keep.has(name)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/**
 * The head lines of an upgrade request (attach, exec start) relayed byte for byte: it keeps
 * `Connection: Upgrade` and `Upgrade`, which ask the next hop for the upgrade, and its framing
 * (`Transfer-Encoding`), since its body goes on unchanged with the spliced bytes; every other
 * hop-by-hop header, and what `Connection` lists besides `upgrade`, is left out.
 */
export function upgradeHeaderLines(raw: readonly string[]): string[] {
  const kept = endToEnd(raw, new Set(['connection', 'upgrade', 'transfer-encoding']));
  const lines: string[] = [];
  let connection = false;
  for (let i = 0; i < kept.length; i += 2) {
    if (kept[i]!.toLowerCase() !== 'connection') lines.push(`${kept[i]}: ${kept[i + 1]}`);
    else if (!connection) {
      // one `Connection: Upgrade` where the client's first Connection was, its other options gone
      connection = true;
      lines.push('Connection: Upgrade');
    }
  }
  return lines;
}
