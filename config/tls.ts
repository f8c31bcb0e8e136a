import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';
import type {
  EngineTlsConfig,
  ResolvedConfig,
  SwarmConfig,
  TlsConfig,
  TlsMaterial,
} from './types.js';

function read(path: string | undefined, what: string): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(
      `${what} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
}

function material(files: EngineTlsConfig, where: string): TlsMaterial {
  if ((files.cert === undefined) !== (files.key === undefined))
    throw new ConfigError(`${where}: a certificate and its key go together (give both or neither)`);
  return {
    ca: read(files.ca, `${where} CA`),
    cert: read(files.cert, `${where} certificate`),
    key: read(files.key, `${where} key`),
    serverName: files.serverName,
  };
}

/**
 * The TLS material, files read at start (a missing file stops the manager with its name). The
 * client side needs a certificate and key; with `verify`, also a CA. Engines get the client side's
 * files unless `engineTls` gives their own (or `false`).
 */
export function resolveTls(
  tls: TlsConfig | undefined,
  engineTls: SwarmConfig['engineTls'],
): Pick<ResolvedConfig, 'serverTls' | 'engineTls'> {
  const serving = tls && (tls.enabled || tls.verify);
  let serverTls: ResolvedConfig['serverTls'];
  if (serving) {
    // classic's words (cli/manage.go)
    if (!tls.cert || !tls.key)
      throw new ConfigError('--tlscert and --tlskey must be provided when using --tls');
    if (tls.verify && !tls.ca)
      throw new ConfigError(
        '--tlscacert must be provided when using --tlsverify (the CA that signs client certificates)',
      );
    serverTls = { ...material(tls, 'TLS'), verify: Boolean(tls.verify) };
  }
  if (engineTls === false) return { serverTls };
  const { nodes, ...cluster } = engineTls ?? {};
  const base: EngineTlsConfig | undefined = engineTls
    ? cluster
    : serving
      ? { ca: tls.ca, cert: tls.cert, key: tls.key }
      : undefined;
  if (!base && !nodes) return { serverTls };
  return {
    serverTls,
    engineTls: {
      ...material(base ?? {}, 'engine TLS'),
      nodes: Object.fromEntries(
        Object.entries(nodes ?? {}).map(([addr, files]) => [
          addr,
          material({ ...base, ...files }, `engine TLS for ${addr}`),
        ]),
      ),
    },
  };
}
