import type { ContainerInspect } from './docker-types.js';

/*
 * An engine's inspect document is ~5 KB of JSON of which the cache keeps a tenth (container-cache.ts,
 * keptInspect). Parsing it whole builds ~150 objects and strings per container to drop at once: at 30,000
 * containers that was most of the inventory's CPU and of the garbage collector's work after it. The scan below
 * walks the text, skipping strings with indexOf, and parses only the values the cache keeps. What it does not
 * read plainly (an escaped key, `__proto__`, a kept part that is not an object) makes it give up: the caller
 * then parses the whole document, as before. It checks the structure it walks (quotes, brackets, colons,
 * commas), not every skipped scalar's spelling.
 */

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;

/** Thrown inside the scan when the text is not what it reads; caught by `scanInspect`. */
const GIVE_UP = new Error('not scanned');

function skipSpace(text: string, at: number): number {
  let i = at;
  for (
    let c = text.charCodeAt(i);
    c === 32 || c === 10 || c === 13 || c === 9;
    c = text.charCodeAt(++i)
  );
  return i;
}

/** The index after the string whose opening quote is at `at`. */
function stringEnd(text: string, at: number): number {
  let quote = at;
  for (;;) {
    quote = text.indexOf('"', quote + 1);
    if (quote < 0) throw GIVE_UP;
    let slash = quote - 1;
    while (text.charCodeAt(slash) === BACKSLASH) slash--;
    // an even run of backslashes escapes itself, not the quote
    if ((quote - 1 - slash) % 2 === 0) return quote + 1;
  }
}

/** The index after the value that starts at `at`. */
function valueEnd(text: string, at: number): number {
  const first = text.charCodeAt(at);
  if (first === QUOTE) return stringEnd(text, at);
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
    let depth = 0;
    for (let i = at; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) i = stringEnd(text, i) - 1;
      else if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
      else if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY) && --depth === 0) return i + 1;
    }
    throw GIVE_UP;
  }
  // a number, true, false or null: up to the next delimiter
  let i = at;
  for (
    let c = first;
    i < text.length && c !== COMMA && c !== CLOSE_OBJECT && c !== CLOSE_ARRAY && c > 32;
    c = text.charCodeAt(++i)
  );
  if (i === at) throw GIVE_UP;
  return i;
}

/**
 * Walks the object whose `{` is at `at`: for each of the `wanted` keys found, the span of its value, in
 * `spans` (start, end at 2i, 2i + 1; the last of a repeated key, as JSON.parse keeps). Keys are compared in
 * place, not cut out: an inspect document has ~150 of them. Returns the index after the object.
 */
function fields(
  text: string,
  at: number,
  wanted: readonly string[],
  spans: number[],
  escapes: boolean,
): number {
  let lengths = 0;
  for (const key of wanted) lengths |= 1 << key.length;
  if (text.charCodeAt(at) !== OPEN_OBJECT) throw GIVE_UP;
  let i = skipSpace(text, at + 1);
  if (text.charCodeAt(i) === CLOSE_OBJECT) return i + 1;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) throw GIVE_UP;
    const keyEnd = stringEnd(text, i);
    const keyLength = keyEnd - i - 2;
    let which = -1;
    if (keyLength < 32 && (lengths & (1 << keyLength)) !== 0)
      for (let w = 0; w < wanted.length; w++)
        if (wanted[w]!.length === keyLength && text.startsWith(wanted[w]!, i + 1)) which = w;
    // a key with \u escapes may be a wanted one in JSON.parse's reading (looked for only in a document that
    // has any, which dockerd's rarely has)
    if (which < 0 && escapes)
      for (let k = i + 1; k < keyEnd - 1; k++) if (text.charCodeAt(k) === BACKSLASH) throw GIVE_UP;
    i = text.charCodeAt(keyEnd) === COLON ? keyEnd : skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) throw GIVE_UP;
    const start = text.charCodeAt(i + 1) > 32 ? i + 1 : skipSpace(text, i + 1);
    const end = valueEnd(text, start);
    if (which >= 0) {
      spans[2 * which] = start;
      spans[2 * which + 1] = end;
    }
    i = text.charCodeAt(end) > 32 ? end : skipSpace(text, end);
    const c = text.charCodeAt(i);
    if (c === CLOSE_OBJECT) return i + 1;
    if (c !== COMMA) throw GIVE_UP;
    i = text.charCodeAt(i + 1) > 32 ? i + 1 : skipSpace(text, i + 1);
  }
}

/**
 * The `wanted` keys of the object at `start` as JSON text, their values the document's own text (so that
 * the kept parts are parsed in one JSON.parse). `null` stays null; another value than an object gives up.
 */
function picked(
  text: string,
  start: number,
  end: number,
  wanted: readonly string[],
  escapes: boolean,
): string {
  if (text.charCodeAt(start) !== OPEN_OBJECT) {
    if (text.slice(start, end) === 'null') return 'null';
    throw GIVE_UP;
  }
  const spans = new Array<number>(2 * wanted.length).fill(-1);
  fields(text, start, wanted, spans, escapes);
  let object = '';
  for (let w = 0; w < wanted.length; w++)
    if (spans[2 * w]! >= 0)
      object += `${object ? ',' : ''}"${wanted[w]}":${text.slice(spans[2 * w], spans[2 * w + 1])}`;
  return `{${object}}`;
}

/** Env is read to decide whether a container is kept whole (the rescheduler's policy), then dropped. */
const CONFIG_KEYS = ['Image', 'Labels', 'StopTimeout', 'ExposedPorts', 'Env'];
const HOST_CONFIG_KEYS = ['Memory', 'CpuShares', 'PortBindings', 'NetworkMode'];
const TOP_KEYS = ['Id', 'Name', 'Created', 'ExecIDs', 'State', 'Config', 'HostConfig'];
const CONFIG = 5;
const HOST_CONFIG = 6;

/**
 * The parts of an inspect document's text that the cache keeps (`keptInspect` takes them as from a whole
 * parse), plus Config.Env: undefined when the scan gives up (the caller parses the whole text then).
 */
export function scanInspect(text: string): ContainerInspect | undefined {
  try {
    const spans = new Array<number>(2 * TOP_KEYS.length).fill(-1);
    const escapes = text.includes('\\u');
    const end = fields(text, skipSpace(text, 0), TOP_KEYS, spans, escapes);
    if (skipSpace(text, end) !== text.length) return undefined;
    let kept = '';
    for (let w = 0; w < TOP_KEYS.length; w++) {
      const [start, end] = [spans[2 * w]!, spans[2 * w + 1]!];
      if (start < 0) continue;
      const value =
        w === CONFIG
          ? picked(text, start, end, CONFIG_KEYS, escapes)
          : w === HOST_CONFIG
            ? picked(text, start, end, HOST_CONFIG_KEYS, escapes)
            : text.slice(start, end);
      kept += `${kept ? ',' : ''}"${TOP_KEYS[w]}":${value}`;
    }
    const doc = JSON.parse(`{${kept}}`) as ContainerInspect;
    return doc.State ? doc : undefined;
  } catch {
    return undefined;
  }
}
