/**
 * Reading and editing compact JSON (an engine's answer as dockerd writes it: no spaces, no repeated
 * keys) in its bytes, without parsing the whole document: a byte rewrite of `rewriteResponse`
 * (docs/plugins.md) finds the member it changes and splices the new value in. Anything unexpected
 * (a space between tokens, a key written with escapes, bytes after the document) makes these
 * helpers answer `undefined`; a key looked up twice in one object throws (JSON.parse would keep the
 * last). Either way a byte rewrite gives up and the answer is parsed.
 */

/** A member's value: bytes `start` (inclusive) to `end` (exclusive). */
export interface Span {
  start: number;
  end: number;
}

/**
 * An object's members, as offsets into its bytes (keys are compared byte by byte, never decoded:
 * decoding every key cost more than the scan).
 */
export class Members {
  constructor(
    private readonly buf: Buffer,
    /** Each member's key (its bytes between the quotes) then its value: 4 offsets a member. */
    private readonly offsets: number[],
    /** One past the object's closing brace. */
    readonly end: number,
  ) {}

  get size(): number {
    return this.offsets.length / 4;
  }

  /** The value of `key` (ASCII), if the object has it; throws if it has it twice. */
  get(key: string): Span | undefined {
    const { buf, offsets } = this;
    let found: Span | undefined;
    next: for (let m = 0; m < offsets.length; m += 4) {
      const from = offsets[m]!;
      if (offsets[m + 1]! - from !== key.length) continue;
      for (let c = 0; c < key.length; c++) if (buf[from + c] !== key.charCodeAt(c)) continue next;
      if (found) throw new Error(`"${key}" is repeated`);
      found = { start: offsets[m + 2]!, end: offsets[m + 3]! };
    }
    return found;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const NEWLINE = 0x0a;

/**
 * One past the closing quote of the string opening at `i`; -1 if it never closes. A long string
 * is skipped with indexOf (memchr), a short one in JS (a native call costs more than a few bytes).
 */
function stringEnd(buf: Buffer, i: number): number {
  const near = Math.min(buf.length, i + 24);
  for (i++; i < near; i++) {
    const c = buf[i];
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  if (i >= buf.length) return -1;
  for (i--; ;) {
    const quote = buf.indexOf(QUOTE, i + 1);
    if (quote < 0) return -1;
    let escapes = 0;
    while (buf[quote - 1 - escapes] === BACKSLASH) escapes++;
    if (escapes % 2 === 0) return quote + 1;
    i = quote;
  }
}

/** As stringEnd, for a key: -1 also when it holds an escape (it would compare unequal to itself parsed). */
function plainKeyEnd(buf: Buffer, i: number): number {
  for (i++; i < buf.length; i++) {
    const c = buf[i];
    if (c === BACKSLASH) return -1;
    if (c === QUOTE) return i + 1;
  }
  return -1;
}

/** One past the value starting at `i` (its nested members are skipped, not read); -1 if malformed. */
function valueEnd(buf: Buffer, i: number): number {
  const first = buf[i];
  if (first === QUOTE) return stringEnd(buf, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (; i < buf.length; i++) {
      const c = buf[i];
      if (c === QUOTE) {
        i = stringEnd(buf, i) - 1;
        if (i < 0) return -1;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) return i + 1;
    }
    return -1;
  }
  // a number, true, false or null: up to the next delimiter (a space ends it too, and is refused
  // by the caller)
  const start = i;
  for (; i < buf.length; i++) {
    const c = buf[i]!;
    if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c <= 0x20) break;
  }
  return i > start ? i : -1;
}

/** The members of the compact JSON object at `start`; `undefined` when it is not one. */
export function objectMembers(buf: Buffer, start = 0): Members | undefined {
  if (buf[start] !== OPEN_BRACE) return undefined;
  const offsets: number[] = [];
  let i = start + 1;
  if (buf[i] === CLOSE_BRACE) return new Members(buf, offsets, i + 1);
  for (;;) {
    if (buf[i] !== QUOTE) return undefined;
    const keyEnd = plainKeyEnd(buf, i);
    if (keyEnd < 0 || buf[keyEnd] !== COLON) return undefined;
    const value = keyEnd + 1;
    const end = valueEnd(buf, value);
    if (end < 0) return undefined;
    offsets.push(i + 1, keyEnd - 1, value, end);
    if (buf[end] === CLOSE_BRACE) return new Members(buf, offsets, end + 1);
    if (buf[end] !== COMMA) return undefined;
    i = end + 1;
  }
}

/**
 * The value of `key` in the object at `start`, reading its members only up to that one: `null` when
 * the object has none, `undefined` when it is not compact JSON. (The first of a repeated key: Go's
 * encoder, writing a struct, repeats none.)
 */
export function memberValue(buf: Buffer, start: number, key: string): Span | null | undefined {
  if (buf[start] !== OPEN_BRACE) return undefined;
  let i = start + 1;
  if (buf[i] === CLOSE_BRACE) return null;
  for (;;) {
    if (buf[i] !== QUOTE) return undefined;
    const keyEnd = plainKeyEnd(buf, i);
    if (keyEnd < 0 || buf[keyEnd] !== COLON) return undefined;
    const value = keyEnd + 1;
    const end = valueEnd(buf, value);
    if (end < 0) return undefined;
    if (keyEnd - i - 2 === key.length && buf.toString('latin1', i + 1, keyEnd - 1) === key)
      return { start: value, end };
    if (buf[end] === CLOSE_BRACE) return null;
    if (buf[end] !== COMMA) return undefined;
    i = end + 1;
  }
}

const needles = new Map<string, Buffer>();
/** A string searched for as bytes, made once (indexOf with a string converts it at every call). */
export const needle = (text: string): Buffer => {
  let found = needles.get(text);
  if (!found) needles.set(text, (found = Buffer.from(text)));
  return found;
};

/**
 * The value of `key` if it is the document's last member (dockerd writes NetworkSettings last),
 * found from the end without reading what comes before; `undefined` otherwise. `,"KEY":` is a
 * member's key wherever it stands: a quote after a comma cannot be inside a string nor close one.
 * Its value ending where the document does puts it at the top level.
 */
export function lastMember(buf: Buffer, key: string): Span | undefined {
  const at = buf.lastIndexOf(needle(`,"${key}":`));
  if (at < 0) return undefined;
  const start = at + key.length + 4;
  const end = valueEnd(buf, start);
  if (end < 0 || buf[end] !== CLOSE_BRACE) return undefined;
  const rest = buf.length - end - 1;
  return rest === 0 || (rest === 1 && buf[end + 1] === NEWLINE) ? { start, end } : undefined;
}

/**
 * The members of a whole document that is one compact JSON object (a trailing newline allowed, as
 * Go's encoder writes it).
 */
export function documentMembers(buf: Buffer): Members | undefined {
  const found = objectMembers(buf, 0);
  if (!found) return undefined;
  const rest = buf.length - found.end;
  return rest === 0 || (rest === 1 && buf[found.end] === NEWLINE) ? found : undefined;
}

/** A copy of `buf` with the bytes `start` to `end` replaced by `text`. */
export function spliced(buf: Buffer, start: number, end: number, text: string): Buffer {
  const middle = Buffer.from(text);
  const out = Buffer.allocUnsafe(buf.length - (end - start) + middle.length);
  buf.copy(out, 0, 0, start);
  middle.copy(out, start);
  buf.copy(out, start + middle.length, end);
  return out;
}
