import { CLUSTER_OPTS } from './cluster-opts.js';
import { ConfigError } from './errors.js';
import { DURATION_EXPECTED, parseDuration } from './duration.js';
import type { SwarmConfig } from './types.js';

// returns what was expected, or undefined when fine
type Check = (value: unknown) => string | undefined;

const isString: Check = (v) =>
  typeof v === 'string' && v !== '' ? undefined : 'a non-empty string';
const isBoolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
const isStringList: Check = (v) =>
  Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== '')
    ? undefined
    : 'a list of non-empty strings';
const isDuration: Check = (v) => ((parseDuration(v) ?? -1) >= 0 ? undefined : DURATION_EXPECTED);
const isWholeAtLeast =
  (min: number): Check =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min ? undefined : `a whole number of at least ${min}`;
const isOneOf =
  (...allowed: string[]): Check =>
  (v) =>
    allowed.includes(v as string) ? undefined : `one of ${allowed.join(', ')}`;
const isRecordOf =
  (inner: Check, what: string): Check =>
  (v) =>
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => inner(x) === undefined)
      ? undefined
      : what;

const ENGINE_KEYS: Record<string, Check> = {
  refreshMinInterval: isDuration,
  refreshMaxInterval: isDuration,
  failureRetry: isWholeAtLeast(1),
  requestTimeout: isDuration,
  connectTimeout: isDuration,
};

const TOP_KEYS: Record<string, Check> = {
  hosts: isStringList,
  nodes: (v) =>
    isString(v) === undefined || isStringList(v) === undefined
      ? undefined
      : 'a list of addresses or one discovery string',
  strategy: isString,
  filters: isStringList,
  heartbeat: isDuration,
  engine: (v) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : 'an object',
  clusterOpts: isRecordOf(isString, 'an object of string values'),
  cors: isBoolean,
  logLevel: isOneOf('debug', 'info', 'warn', 'error'),
  logFormat: isOneOf('text', 'json'),
  status: (v) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : 'an object',
  shutdownTimeout: isDuration,
  stateFile: isString,
  experimental: isBoolean,
  builtins: isRecordOf(isBoolean, 'an object of true/false values'),
  plugins: (v) => (Array.isArray(v) ? undefined : 'a list of plugins'),
  tls: (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : 'an object'),
  advertise: isString,
  replication: isBoolean,
  replicationTtl: isDuration,
  discoveryOpts: isRecordOf(isString, 'an object of string values'),
  refreshOnNodeFilter: isBoolean,
  containerNameRefreshFilter: isString,
  clients: (v) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : 'an object',
  authorizationPlugins: (v) =>
    Array.isArray(v) &&
    v.every(
      (p) =>
        isString(p) === undefined ||
        (p !== null &&
          typeof p === 'object' &&
          isString(p.name) === undefined &&
          isString(p.address) === undefined),
    )
      ? undefined
      : 'a list of plugin names or { name, address } objects',
  engineTls: (v) =>
    v === false || (v !== null && typeof v === 'object' && !Array.isArray(v))
      ? undefined
      : 'an object, or false',
};

/** Classic's cluster options, each value checked in classic's words. */
const CLUSTER_OPT_KEYS: Record<string, Check> = Object.fromEntries(
  Object.entries(CLUSTER_OPTS).map(([key, check]) => [
    key,
    (v: unknown) =>
      typeof v !== 'string' ? 'a string' : check(v) ? `valid: ${check(v)}` : undefined,
  ]),
);

const CLIENT_KEYS: Record<string, Check> = {
  headerTimeout: isDuration,
  bodyTimeout: isDuration,
  maxConnectionsPerAddress: isWholeAtLeast(1),
};

const TLS_KEYS: Record<string, Check> = {
  enabled: isBoolean,
  verify: isBoolean,
  ca: isString,
  cert: isString,
  key: isString,
};
const ENGINE_TLS_KEYS: Record<string, Check> = {
  ca: isString,
  cert: isString,
  key: isString,
  serverName: isString,
  nodes: isRecordOf(
    (v) => (v !== null && typeof v === 'object' ? undefined : 'an object'),
    'an object of per-node settings',
  ),
};

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function checkKeys(
  obj: Record<string, unknown>,
  checks: Record<string, Check>,
  prefix: string,
  source: string,
): void {
  for (const [key, value] of Object.entries(obj)) {
    const name = prefix + key;
    const check = checks[key];
    if (!check)
      throw new ConfigError(
        `${source}: unknown key "${name}" (known: ${Object.keys(checks)
          .map((k) => prefix + k)
          .join(', ')})`,
      );
    if (value === undefined) continue;
    const expected = check(value);
    if (expected)
      throw new ConfigError(`${source}: "${name}" must be ${expected} (got ${show(value)})`);
  }
}

/** Checks a loaded config object and returns it typed; a mistake names the key and the file. */
export function validateConfig(raw: unknown, source: string): SwarmConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(
      `${source}: the default export must be an object (use defineConfig({...}))`,
    );
  }
  const obj = raw as Record<string, unknown>;
  checkKeys(obj, TOP_KEYS, '', source);
  if (obj.engine !== undefined)
    checkKeys(obj.engine as Record<string, unknown>, ENGINE_KEYS, 'engine.', source);
  if (obj.clusterOpts !== undefined)
    checkKeys(obj.clusterOpts as Record<string, unknown>, CLUSTER_OPT_KEYS, 'clusterOpts.', source);
  if (obj.clients !== undefined)
    checkKeys(obj.clients as Record<string, unknown>, CLIENT_KEYS, 'clients.', source);
  if (obj.status !== undefined)
    checkKeys(obj.status as Record<string, unknown>, { address: isString }, 'status.', source);
  if (obj.tls !== undefined)
    checkKeys(obj.tls as Record<string, unknown>, TLS_KEYS, 'tls.', source);
  if (obj.engineTls) {
    checkKeys(obj.engineTls as Record<string, unknown>, ENGINE_TLS_KEYS, 'engineTls.', source);
    const nodes =
      (obj.engineTls as { nodes?: Record<string, Record<string, unknown>> }).nodes ?? {};
    for (const [addr, settings] of Object.entries(nodes))
      checkKeys(
        settings,
        { ca: isString, cert: isString, key: isString, serverName: isString },
        `engineTls.nodes.${addr}.`,
        source,
      );
  }
  return obj as SwarmConfig;
}
