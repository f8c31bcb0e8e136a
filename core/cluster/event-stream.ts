import type { Readable } from 'node:stream';

/**
 * Splits a newline-delimited JSON stream into objects (with their exact text);
 * malformed lines go to `onBad`.
 */
export function readJsonLines<T>(
  stream: Readable,
  onItem: (item: T, line: string) => void,
  onBad: (line: string) => void,
): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line === '') continue;
      let item: T;
      try {
        item = JSON.parse(line) as T;
      } catch {
        onBad(line);
        continue;
      }
      onItem(item, line);
    }
  });
}

/**
 * An event's time in nanoseconds, read from its text: `timeNano` (~1.8e18) is beyond what a JSON
 * number keeps exactly, and clients order events by it.
 */
export function exactTimeNano(line: string, time: number | undefined): bigint {
  const m = /"timeNano":(\d+)/.exec(line);
  return m ? BigInt(m[1]!) : BigInt(time ?? 0) * 1_000_000_000n;
}
