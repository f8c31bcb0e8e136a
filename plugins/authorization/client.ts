import http from 'node:http';
import https from 'node:https';
import type { PluginEndpoint } from './discovery.js';

/** What an authorization plugin answers (moby's pkg/authorization `Response`). */
export interface AuthzVerdict {
  Allow: boolean;
  Msg?: string;
  Err?: string;
}

const MIME = 'application/vnd.docker.plugins.v1.2+json';
const TIMEOUT_MS = 30_000;

/** Node's connection errors in the words of Go's net package, as dockerd's messages carry them. */
const GO_ERRNO: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  ECONNRESET: 'connection reset by peer',
  EHOSTUNREACH: 'no route to host',
  ETIMEDOUT: 'connection timed out',
};

/**
 * One Docker authorization plugin, spoken to as dockerd's plugin client does:
 * `Plugin.Activate` once (the plugin must implement `authz`), then one POST per call, JSON both
 * ways. Errors read as dockerd's do, so `plugin NAME failed with error: ...` is the message a
 * client of dockerd would see.
 */
export class AuthzPluginClient {
  private activated?: Promise<void>;
  private readonly target: {
    socketPath?: string;
    host?: string;
    port?: number;
    secure: boolean;
    url: (path: string) => string;
    dial: string;
  };

  constructor(readonly endpoint: PluginEndpoint) {
    const address = endpoint.address;
    if (address.startsWith('unix://')) {
      const socketPath = address.slice('unix://'.length);
      // Go prints the socket path as the URL's host, escaped
      this.target = {
        socketPath,
        secure: false,
        url: (p) => `http://${encodeURIComponent(socketPath)}/${p}`,
        dial: `dial unix ${socketPath}`,
      };
    } else {
      const url = new URL(address.replace(/^tcp:/, endpoint.tls ? 'https:' : 'http:'));
      const secure = url.protocol === 'https:';
      const port = Number(url.port || (secure ? 443 : 80));
      this.target = {
        host: url.hostname,
        port,
        secure,
        url: (p) => `${url.protocol}//${url.host}/${p}`,
        dial: `dial tcp ${url.hostname}:${port}`,
      };
    }
  }

  get name(): string {
    return this.endpoint.name;
  }

  /** `AuthZPlugin.AuthZReq` or `AuthZPlugin.AuthZRes`, after activation. */
  async call(
    method: 'AuthZPlugin.AuthZReq' | 'AuthZPlugin.AuthZRes',
    request: object,
  ): Promise<AuthzVerdict> {
    await this.activate();
    return (await this.post(method, request)) as AuthzVerdict;
  }

  private activate(): Promise<void> {
    this.activated ??= this.post('Plugin.Activate', null).then(
      (manifest) => {
        if (!(manifest as { Implements?: string[] }).Implements?.includes('authz'))
          throw new Error('Plugin does not implement the requested driver');
      },
      (err: unknown) => {
        this.activated = undefined; // a plugin that was down is activated again once it is back
        throw err;
      },
    );
    return this.activated;
  }

  private post(method: string, payload: unknown): Promise<unknown> {
    const body = Buffer.from(JSON.stringify(payload) + '\n');
    const { socketPath, host, port, secure, url, dial } = this.target;
    const tls = this.endpoint.tls;
    return new Promise((resolve, reject) => {
      const options: https.RequestOptions = {
        method: 'POST',
        path: `/${method}`,
        socketPath,
        host,
        port,
        headers: {
          Accept: MIME,
          'Content-Type': MIME,
          'Content-Length': body.length,
          Host: socketPath ? 'plugin' : `${host}:${port}`,
        },
        timeout: TIMEOUT_MS,
        ...(secure
          ? {
              ca: tls?.ca,
              cert: tls?.cert,
              key: tls?.key,
              rejectUnauthorized: !tls?.insecureSkipVerify,
            }
          : {}),
      };
      const req = (secure ? https : http).request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(new Error(`Post "${url(method)}": ${err.message}`)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          // as dockerd's client: an error status carries the plugin's `Err`, or its body
          if (res.statusCode !== 200)
            return reject(
              new Error(
                `${method}: ${(parsed as { Err?: string } | undefined)?.Err || text.trim()}`,
              ),
            );
          if (parsed === undefined || parsed === null || typeof parsed !== 'object')
            return reject(
              new Error(
                `${method}: the plugin answered something that is not a JSON object: ${text.slice(0, 200)}`,
              ),
            );
          resolve(parsed);
        });
      });
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })),
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        const words =
          err.code === 'TIMEOUT'
            ? 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
            : GO_ERRNO[err.code ?? '']
              ? `${dial}: connect: ${GO_ERRNO[err.code!]}`
              : err.message;
        reject(new Error(`Post "${url(method)}": ${words}`));
      });
      req.end(body);
    });
  }
}
