import { existsSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import type Koa from 'koa';
import type { Logger } from '../log.js';
import { holdUpgrade } from './proxy/hijack.js';
import { parseListenAddress } from './listen-address.js';

/**
 * Serves the Koa app on every `-H` address. Upgrade requests (attach, exec start) come in through the
 * server's `upgrade` event, so they still run through the app (routing, lookups, errors) with their raw
 * socket held for the hijack route.
 */
export async function listen(app: Koa<any>, hosts: string[], logger: Logger): Promise<http.Server[]> {
  const handler = app.callback();
  const servers: http.Server[] = [];
  for (const text of hosts) {
    const address = parseListenAddress(text);
    const server = http.createServer(handler);
    // No idle timeouts: logs -f, events, wait and hijacked sessions may stay quiet for hours.
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 60_000;
    server.on('upgrade', (req, socket, head) => {
      const res = new http.ServerResponse(req);
      res.shouldKeepAlive = false;
      res.assignSocket(socket as import('node:net').Socket);
      // An error answer to an upgrade request ends the connection, or the client would wait for the upgrade.
      res.on('finish', () => socket.end());
      holdUpgrade(req, socket, head);
      handler(req, res);
    });
    server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    if (address.kind === 'unix' && existsSync(address.path)) unlinkSync(address.path);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (address.kind === 'unix') server.listen(address.path, resolve);
      else server.listen(address.port, address.host, resolve);
    });
    server.removeAllListeners('error');
    server.on('error', (err) => logger.error(`listener ${text}: ${err.message}`));
    logger.info(`listening on ${text}`);
    servers.push(server);
  }
  return servers;
}
