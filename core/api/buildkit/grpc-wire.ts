import type { ServerHttp2Stream } from 'node:http2';
import protobuf from 'protobufjs/minimal.js';

/**
 * gRPC's framing and the few protobuf fields the manager reads to route BuildKit's calls. Messages
 * are passed on as bytes; only a Solve's build args are rewritten (the placement expressions
 * taken out), field by field, so what the manager does not know is kept byte for byte.
 */

/** gRPC status codes the manager answers with itself. */
export const GRPC = { OK: 0, UNKNOWN: 2, UNIMPLEMENTED: 12, UNAVAILABLE: 14 } as const;

/** One length-prefixed message: a compression flag byte, a 4-byte length, the payload. */
export function frame(payload: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** Cuts a byte stream into whole gRPC messages (the payloads), however it was split into chunks. */
export class MessageReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const messages: Buffer[] = [];
    while (this.buffered.length >= 5) {
      const length = this.buffered.readUInt32BE(1);
      if (this.buffered.length < 5 + length) break;
      messages.push(this.buffered.subarray(5, 5 + length));
      this.buffered = this.buffered.subarray(5 + length);
    }
    return messages;
  }
}

/**
 * A field of a protobuf message as it is on the wire:
 * its number, wire type, and where its bytes are.
 */
interface WireField {
  field: number;
  wire: number;
  /** From its tag to its end. */
  start: number;
  end: number;
  /** A length-delimited field's content. */
  bytes?: Uint8Array;
}

function fieldsOf(payload: Uint8Array): WireField[] {
  const reader = protobuf.Reader.create(payload);
  const fields: WireField[] = [];
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    const wire = tag & 7;
    const bytes = wire === 2 ? reader.bytes() : undefined;
    if (wire !== 2) reader.skipType(wire);
    fields.push({ field: tag >>> 3, wire, start, end: reader.pos, bytes });
  }
  return fields;
}

const text = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : '');

/** A string field (the first occurrence), or '' when absent or unreadable. */
export function stringField(payload: Uint8Array, field: number): string {
  try {
    return text(fieldsOf(payload).find((f) => f.field === field && f.wire === 2)?.bytes);
  } catch {
    return '';
  }
}

/** A `map<string, string>` field: each entry is a message of key (1) and value (2). */
export function mapField(payload: Uint8Array, field: number): Map<string, string> {
  const map = new Map<string, string>();
  try {
    for (const entry of fieldsOf(payload)) {
      if (entry.field !== field || !entry.bytes) continue;
      map.set(stringField(entry.bytes, 1), stringField(entry.bytes, 2));
    }
  } catch {
    // not the message it was taken for: no entries
  }
  return map;
}

/**
 * The message without the entries of a map field whose key `drop` names;
 * everything else byte for byte.
 */
export function withoutMapEntries(
  payload: Uint8Array,
  field: number,
  drop: (key: string) => boolean,
): Buffer {
  const kept = fieldsOf(payload).filter(
    (f) => !(f.field === field && f.bytes && drop(stringField(f.bytes, 1))),
  );
  return Buffer.concat(kept.map((f) => payload.subarray(f.start, f.end)));
}

/**
 * Ends a call with a gRPC status and message, as a server with nothing to send answers
 * (trailers only).
 */
export function grpcFailure(stream: ServerHttp2Stream, code: number, message: string): void {
  if (stream.destroyed || stream.closed) return;
  const status = { 'grpc-status': String(code), 'grpc-message': encodeURIComponent(message) };
  if (stream.headersSent) stream.close();
  else
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc', ...status },
      { endStream: true },
    );
}
