import { closeSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { ResolvedConfig } from '../../config/types.js';
import type Koa from 'koa';
import { ConfigError } from '../../config/errors.js';
import type { Logger } from '../log.js';
import type { SkepState } from './deps.js';
import { type ListenAddress, parseServeAddress } from './listen-address.js';
import { holdUpgrade, rawUpgradeHead } from './upgrades.js';
import { sniffConnection } from './raw-hijack.js';
import { ConnectionCap } from './connection-cap.js';
import { prepareSocketPath, restrictSocket } from './unix-socket.js';
import type { PrimaryForwarder } from './replica.js';
import { rawJsonAnswer } from './raw-answer.js';
import {
  assignActivatedSockets,
  takeActivatedSockets,
  unassigned,
} from '../systemd/socket-activation.js';

/** Said of every listener beyond loopback without TLS. */
const WITHOUT_TLS_RISK =
  'anyone who reaches it controls every node of the cluster (use --tlsverify, see docs/security.md)';

type ServerTls = NonNullable<ResolvedConfig['serverTls']>;
type ClientLimits = ResolvedConfig['clients'];

const isLoopback = (host: string) =>
  host === 'localhost' || host === '::1' || host.startsWith('127.');

export interface Listener {
  readonly address: string;
  /** Closes at once: every connection, streams and hijacked ones too. */
  close(): Promise<void>;
  /**
   * Stops accepting, lets running requests end for up to `graceMs` (each answer then closes its
   * connection), then closes what is left, streams and hijacked connections included.
   */
  drain(graceMs: number): Promise<void>;
  /**
   * New certificates (a reload): new connections use them;
   * the client-certificate requirement stays.
   */
  setTls?(material: ResolvedConfig['serverTls']): void;
}

/**
 * An HTTP server for the app whose upgrade requests (attach, exec start) still run through the app.
 */
function createHttpServer(
  app: Koa<SkepState>,
  limits: ClientLimits,
  forwarder?: PrimaryForwarder,
): http.Server {
  const koa = app.callback();
  // a replica hands each request to the forwarder, which runs it here or has the primary answer it
  const handler = forwarder
    ? (req: http.IncomingMessage, res: http.ServerResponse) =>
        void forwarder.request(req, res, () => void koa(req, res))
    : koa;
  // Header timeouts of later requests on a connection are checked this often:
  // a deadline holds within a quarter.
  const server = http.createServer(
    { connectionsCheckingInterval: Math.min(30_000, Math.max(250, limits.headerTimeoutMs / 4)) },
    handler,
  );
  // No request timeout: logs -f, events, wait and hijacked sessions may stay quiet for hours.
  server.requestTimeout = 0;
  server.headersTimeout = limits.headerTimeoutMs;
  server.keepAliveTimeout = 60_000;
  const relayUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const here = () => {
      const res = new http.ServerResponse(req);
      res.shouldKeepAlive = false;
      res.assignSocket(socket as net.Socket);
      // An error answer to an upgrade request ends the connection,
      // or the client would wait for the upgrade.
      res.on('finish', () => socket.end());
      holdUpgrade(req, socket, head);
      void koa(req, res);
    };
    if (forwarder) void forwarder.upgrade(req, socket, head, here);
    else here();
  };
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, parsed: Buffer) => {
    rawUpgradeHead(req, parsed).then(
      (head) => relayUpgrade(req, socket, head),
      () => socket.destroy(),
    );
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

/**
 * The socket is made under a umask that leaves others out, so it is never open to them,
 * not even before its chmod.
 */
function listenPrivately(server: net.Server, path: string, listening: () => void): void {
  const umask = process.umask(0o117);
  try {
    server.listen(path, listening);
  } finally {
    process.umask(umask);
  }
}

/** One socket to serve: an address to listen on, or a listening socket systemd passed. */
type Target = ListenAddress | { kind: 'fd'; fd: number; text: string };

/**
 * The `-H` addresses as sockets to serve; `fd://...` ones are read from socket activation (once:
 * its variables are then gone), one target per passed socket.
 */
function targetsOf(hosts: string[], logger: Logger): Target[] {
  const addresses = hosts.map(parseServeAddress);
  const fdAddresses = addresses.filter((a) => a.kind === 'fd');
  if (fdAddresses.length === 0) return addresses as ListenAddress[];
  const passed = takeActivatedSockets();
  const assigned = assignActivatedSockets(fdAddresses, passed);
  for (const socket of unassigned(passed, assigned)) {
    logger.warn(`socket activation: no -H serves ${socket.name} (fd ${socket.fd}); closing it`);
    closeSync(socket.fd);
  }
  return addresses.flatMap((a): Target[] =>
    a.kind === 'fd'
      ? assigned
          .get(a.text)!
          .map((s) => ({ kind: 'fd', fd: s.fd, text: `fd://${s.name} (fd ${s.fd})` }))
      : [a],
  );
}

/** What a socket passed by systemd is bound to, for the log and the warning on plain TCP. */
function boundTo(server: net.Server): { text: string; host?: string } {
  const bound = server.address();
  if (bound && typeof bound === 'object')
    return { text: `${bound.address}:${bound.port}`, host: bound.address };
  // node knows no path of a unix socket it did not bind itself
  return { text: bound ? `unix://${bound}` : 'a unix socket' };
}

/**
 * Serves the app on every `-H` address. Connections arrive at a plain net server that looks at
 * the first request head (see raw-hijack.ts), then go to the HTTP server as usual.
 */
export async function listen(
  app: Koa<SkepState>,
  hosts: string[],
  logger: Logger,
  limits: ClientLimits,
  tlsOptions?: ServerTls,
  forwarder?: PrimaryForwarder,
): Promise<Listener[]> {
  const listeners: Listener[] = [];
  const cap = new ConnectionCap(limits.maxConnectionsPerAddress);
  for (const address of targetsOf(hosts, logger)) {
    const { text } = address;
    const server = createHttpServer(app, limits, forwarder);
    const onSocket = (socket: net.Socket) =>
      sniffConnection(socket, limits.headerTimeoutMs, (s) => server.emit('connection', s));
    // With --tlsverify, a client without a certificate signed by the CA is refused
    // in the handshake.
    const front = tlsOptions
      ? tls.createServer(
          {
            key: tlsOptions.key,
            cert: tlsOptions.cert,
            ca: tlsOptions.ca,
            requestCert: tlsOptions.verify,
            rejectUnauthorized: tlsOptions.verify,
            allowHalfOpen: true,
            handshakeTimeout: limits.headerTimeoutMs,
          },
          onSocket,
        )
      : net.createServer({ allowHalfOpen: true });
    // counted as TCP connections, before any TLS handshake:
    // one that is over the cap costs nothing more
    front.on('connection', (socket: net.Socket) => {
      const refuse = (message: string, first: boolean) => {
        if (first) logger.warn(message);
        if (tlsOptions) return void socket.destroy();
        socket.end(rawJsonAnswer(429, message));
        socket.destroySoon();
      };
      if (cap.admit(socket, refuse) && !tlsOptions) onSocket(socket);
    });
    if (address.kind === 'tcp' && !tlsOptions && !isLoopback(address.host)) {
      logger.warn(`listening on ${text} without TLS: ${WITHOUT_TLS_RISK}`);
    }
    if (address.kind === 'unix') prepareSocketPath(address.path);
    await new Promise<void>((resolve, reject) => {
      front.once('error', reject);
      if (address.kind === 'unix') listenPrivately(front, address.path, resolve);
      else if (address.kind === 'fd') front.listen({ fd: address.fd }, resolve);
      else front.listen(address.port, address.host, resolve);
    }).catch((err: Error) => {
      if (address.kind !== 'fd') throw err;
      throw new ConfigError(
        `cannot serve ${text}: ${err.message} (is it a listening stream socket?)`,
      );
    });
    if (address.kind === 'unix') restrictSocket(address.path);
    // systemd made it (its mode is SocketMode=); only its address is to be read
    const activated = address.kind === 'fd' ? boundTo(front) : undefined;
    if (activated?.host && !tlsOptions && !isLoopback(activated.host)) {
      logger.warn(`listening on ${text}, ${activated.text}, without TLS: ${WITHOUT_TLS_RISK}`);
    }
    // every connection, hijacked ones too (they leave the HTTP server),
    // and the requests still running
    const sockets = new Set<net.Socket>();
    front.on('connection', (socket: net.Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    let running = 0;
    let draining = false;
    let drained: (() => void) | undefined;
    const track = (req: http.IncomingMessage, res: http.ServerResponse) => {
      running++;
      if (draining) res.setHeader('Connection', 'close');
      res.once('close', () => --running === 0 && drained?.());
    };
    server.on('request', track);
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
      running++;
      socket.once('close', () => --running === 0 && drained?.());
    });
    const closeAll = () => {
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
    };
    front.removeAllListeners('error');
    front.on('error', (err) => logger.error(`listener ${text}: ${err.message}`));
    // The HTTP server never listens itself; 'listening' starts its header-timeout bookkeeping.
    server.emit('listening');
    logger.info(`listening on ${text}${activated ? `, ${activated.text}` : ''}`);
    const closed = new Promise<void>((resolve) => front.once('close', () => resolve()));
    listeners.push({
      address: text,
      close: async () => {
        front.close();
        closeAll();
        await closed;
      },
      drain: async (graceMs) => {
        draining = true;
        front.close();
        server.closeIdleConnections();
        if (running > 0) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            new Promise<void>((resolve) => (drained = resolve)),
            new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
          ]);
          clearTimeout(timer);
          if (running > 0)
            logger.info(
              `${text}: ${running} request${running === 1 ? '' : 's'} still running after ${graceMs / 1000}s ` +
                '(streams, hijacked sessions): closing them',
            );
        }
        closeAll();
        await closed;
      },
      setTls: (material) => {
        if (front instanceof tls.Server && material?.key && material.cert)
          front.setSecureContext({ key: material.key, cert: material.cert, ca: material.ca });
      },
    });
  }
  return listeners;
}
