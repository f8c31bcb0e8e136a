import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const onPath = (cmd: string) =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => existsSync(join(dir, cmd)));

/** The docker CLIs the tests drive: the machine's current one and Debian's 20.10. */
export const DOCKER_CLI = '/usr/local/bin/docker';
export const DOCKER_CLI_DEBIAN = '/usr/bin/docker';
export const BUSYBOX = '/bin/busybox';
/** Debian's python, with Debian's docker-py (python3-docker) beside it. */
export const PYTHON = '/usr/bin/python3';
/**
 * Today's Docker, unpacked from Debian's unstable suite by `.ci/modern-docker` into a private folder: dockerd 28.5
 * and containerd 2.1, the docker CLI 28.5 with its buildx and compose plugins, docker-py 7.2.
 */
export const MODERN_DOCKER = process.env.SKEP_MODERN_DOCKER ?? '/opt/skep-modern-docker';
export const MODERN = {
  dockerd: join(MODERN_DOCKER, 'usr/sbin/dockerd'),
  /** What dockerd 28.5 finds first on its PATH: its containerd, shim and docker-proxy (runc stays the system's). */
  path: [join(MODERN_DOCKER, 'usr/sbin'), join(MODERN_DOCKER, 'usr/bin')].join(delimiter),
  cli: join(MODERN_DOCKER, 'usr/bin/docker'),
  cliPlugins: join(MODERN_DOCKER, 'usr/libexec/docker/cli-plugins'),
  /** docker-py 7.2, for Debian's python3 (PYTHONPATH). */
  pythonPath: join(MODERN_DOCKER, 'usr/lib/python3/dist-packages'),
};
/**
 * Classic swarm 1.2.9's own static binary, beside the checkout (its README says how it was built):
 * classic's agents and manager, for the tests of Skep beside them.
 */
export const CLASSIC_SWARM =
  process.env.SKEP_CLASSIC_SWARM ??
  fileURLToPath(new URL('../../../../shared/tools/classic-swarm/swarm', import.meta.url));
/** Debian's chromium, which the status page's tests drive headless (nothing is downloaded). */
export const CHROMIUM = process.env.SKEP_CHROMIUM ?? '/usr/bin/chromium';

/** What starting engines in namespaces takes (and the CLI that imports busybox); the tests need the rest too. */
const ENGINE_COMMANDS = ['dockerd', 'ip', 'nsenter', 'unshare'];
const TEST_COMMANDS = [
  'script',
  'docker-registry',
  'htpasswd',
  'docker-compose',
  'etcd',
  'openssl',
  'debootstrap',
];

/** Whether this machine can run real engines in network namespaces (`for: 'bench'`: engines only); if not, what is missing. */
export function realEngineSupport(
  options: { for?: 'tests' | 'bench' } = {},
): { ok: true } | { ok: false; reason: string } {
  const forTests = options.for !== 'bench';
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root');
  for (const cmd of [...ENGINE_COMMANDS, ...(forTests ? TEST_COMMANDS : [])])
    if (!onPath(cmd)) missing.push(cmd);
  const files = [
    BUSYBOX,
    DOCKER_CLI,
    ...(forTests
      ? [
          DOCKER_CLI_DEBIAN,
          PYTHON,
          CHROMIUM,
          MODERN.dockerd,
          MODERN.cli,
          CLASSIC_SWARM,
          join(MODERN.cliPlugins, 'docker-buildx'),
        ]
      : []),
  ];
  for (const file of files) if (!existsSync(file)) missing.push(file);
  return missing.length === 0
    ? { ok: true }
    : { ok: false, reason: `real engines need ${missing.join(', ')}` };
}
