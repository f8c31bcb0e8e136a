import type { Readable } from 'node:stream';

/** Splits a newline-delimited JSON stream into objects; malformed lines are passed to `onBad`, never thrown. */
export function readJsonLines<T>(stream: Readable, onItem: (item: T) => void, onBad: (line: string) => void): void {
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
      onItem(item);
    }
  });
}
