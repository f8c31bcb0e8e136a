import test from 'ava';
import { markRawHijack, unmarkedHeaders } from '../../core/api/raw-hijack.js';

test('old-form attach and exec start are marked; everything else is left alone', (t) => {
  const attach = 'POST /v1.41/containers/web/attach?stream=1&stdin=1 HTTP/1.1\r\nHost: x\r\n\r\n';
  t.is(
    markRawHijack(attach),
    'POST /v1.41/containers/web/attach?stream=1&stdin=1 HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nX-Skep-Raw-Hijack: 1\r\nHost: x\r\n\r\n',
  );
  t.truthy(markRawHijack('POST /exec/abc/start HTTP/1.1\r\nContent-Length: 2\r\n\r\n'));
  t.truthy(markRawHijack('POST /containers/node1/web/attach HTTP/1.1\r\n\r\n'));
  t.is(
    markRawHijack(
      'POST /containers/web/attach HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
    ),
    undefined,
  );
  t.is(markRawHijack('GET /containers/web/attach HTTP/1.1\r\n\r\n'), undefined);
  t.is(markRawHijack('POST /containers/web/start HTTP/1.1\r\n\r\n'), undefined);
});

test('the marks are removed before the request goes to the engine', (t) => {
  t.deepEqual(
    unmarkedHeaders([
      'Connection',
      'Upgrade',
      'Upgrade',
      'tcp',
      'X-Skep-Raw-Hijack',
      '1',
      'Host',
      'x',
    ]),
    ['Host', 'x'],
  );
  const modern = ['Connection', 'Upgrade', 'Upgrade', 'tcp', 'Host', 'x'];
  t.deepEqual(unmarkedHeaders(modern), modern);
});
