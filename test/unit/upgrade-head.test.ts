import test from 'ava';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { rawUpgradeHead } from '../../core/api/upgrades.js';

/**
 * An upgrade request as Node after 24 hands it over (nodejs/node#60016): the body parsed into the request stream,
 * `head` only what followed it. Node 24, which runs the tests, leaves the body in `head` and the stream empty.
 */
function parsedUpgrade(headers: Record<string, string>, body: string): IncomingMessage {
  return Object.assign(Readable.from(body ? [Buffer.from(body)] : []), {
    headers,
  }) as unknown as IncomingMessage;
}

test('a parsed upgrade body sized by Content-Length is put back in front of what followed it', async (t) => {
  const req = parsedUpgrade({ 'content-length': '15' }, '{"Detach":true}');
  const head = await rawUpgradeHead(req, Buffer.from('stdin bytes'));
  t.is(head.toString(), '{"Detach":true}stdin bytes');
});

test('a parsed chunked upgrade body goes on as one chunk and the last, as the client framed it', async (t) => {
  const req = parsedUpgrade({ 'transfer-encoding': 'chunked' }, '{"Detach":true}');
  const head = await rawUpgradeHead(req, Buffer.alloc(0));
  t.is(head.toString(), 'f\r\n{"Detach":true}\r\n0\r\n\r\n');
});

test("Node 24's unparsed body, and an upgrade with no body, keep their head as it came", async (t) => {
  const came = Buffer.from('{"Detach":true}');
  t.is(await rawUpgradeHead(parsedUpgrade({ 'content-length': '15' }, ''), came), came);
  t.is(await rawUpgradeHead(parsedUpgrade({}, ''), came), came);
});
