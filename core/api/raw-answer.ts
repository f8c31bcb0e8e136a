import http from 'node:http';

/**
 * A whole HTTP/1.1 answer with a Docker-style JSON error body, for a socket that Koa does not
 * answer (refused connections, hijacked or spliced sessions); the connection closes after it.
 */
export function rawJsonAnswer(code: number, message: string): string {
  const body = JSON.stringify({ message });
  return (
    `HTTP/1.1 ${code} ${http.STATUS_CODES[code]}\r\n` +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}
