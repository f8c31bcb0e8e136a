/**
 * A small Docker authorization plugin, speaking the Engine's AuthZ protocol over a unix socket, for the tests:
 * it is a real plugin process (run with `node authz-plugin.js SOCKET`), not a stand-in for Skep or an engine.
 * Policy: containers from an image whose name contains `forbidden` are denied (except to the user `admin`), so
 * is every exec, and the answer of `GET /version` is denied in the response phase. Every call is appended as a
 * JSON line to SOCKET.log.
 */
import { appendFileSync, rmSync } from 'node:fs';
import http from 'node:http';

export function authzPluginServer(socket: string, log = `${socket}.log`): http.Server {
  const verdict = (
    phase: string,
    req: Record<string, unknown>,
  ): { Allow: boolean; Msg?: string } => {
    const uri = String(req.RequestUri ?? '');
    const who = String(req.User ?? 'anonymous');
    if (phase === 'AuthZReq') {
      const body = req.RequestBody
        ? (JSON.parse(Buffer.from(String(req.RequestBody), 'base64').toString()) as {
            Image?: string;
          })
        : {};
      if (/\/containers\/create/.test(uri) && body.Image?.includes('forbidden') && who !== 'admin')
        return { Allow: false, Msg: `${who} may not run ${body.Image}` };
      if (/\/containers\/[^/]+\/exec$/.test(uri.split('?')[0]!))
        return { Allow: false, Msg: `${who} may not exec` };
    }
    if (phase === 'AuthZRes' && /\/version$/.test(uri.split('?')[0]!))
      return { Allow: false, Msg: 'the version is secret' };
    return { Allow: true };
  };
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      const answer = (body: unknown) =>
        res
          .writeHead(200, { 'Content-Type': 'application/vnd.docker.plugins.v1+json' })
          .end(JSON.stringify(body));
      if (path === '/Plugin.Activate') return answer({ Implements: ['authz'] });
      const phase =
        path === '/AuthZPlugin.AuthZReq'
          ? 'AuthZReq'
          : path === '/AuthZPlugin.AuthZRes'
            ? 'AuthZRes'
            : undefined;
      if (!phase) return res.writeHead(404).end('404 page not found\n');
      const request = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
      const decided = verdict(phase, request);
      appendFileSync(log, JSON.stringify({ phase, request, verdict: decided }) + '\n');
      answer(decided);
    });
  });
}

/** Starts the plugin on `socket`; resolves once it listens. */
export function startAuthzPlugin(socket: string): Promise<http.Server> {
  rmSync(socket, { force: true });
  const server = authzPluginServer(socket);
  return new Promise((resolve) => server.listen(socket, () => resolve(server)));
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const socket = process.argv[2];
  if (!socket) throw new Error('usage: authz-plugin.js SOCKET');
  void startAuthzPlugin(socket).then(() => process.stdout.write(`listening on ${socket}\n`));
  process.on('SIGTERM', () => {
    rmSync(socket, { force: true });
    process.exit(0);
  });
}
