import { existsSync, mkdirSync, rmSync, symlinkSync, copyFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isPrivateDir } from '../../config/private-dir.js';
import { DOCKER_CLI } from './support.js';
import { must } from './exec.js';

/**
 * A base image for building Skep's image where nothing can be pulled: Debian's packages (debootstrap's minbase
 * of the machine's own release, so the checkout's native addon finds its glibc) with the Node that runs the
 * tests and an npm, which is all the Dockerfile assumes of its BASE_IMAGE. Built once per Node version and suite
 * into a cache outside the checkout, then imported into the engines that build with it.
 */
export const BASE_SUITE = 'bookworm';
const MIRROR = process.env.SKEP_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
const CACHE = process.env.SKEP_TEST_CACHE ?? '/var/cache/skep-test';
/** The tag the engines know the base by. */
export const BASE_IMAGE = `skep-test/node-base:${BASE_SUITE}-node${process.versions.node}`;

/** The npm beside the running Node (an official distribution's), else the machine's (Debian's, pure JS). */
function npmFolder(): string {
  const beside = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  if (existsSync(join(beside, 'bin', 'npm-cli.js'))) return beside;
  return '/usr/lib/node_modules/npm';
}

/** The base's root filesystem as a tar, built unless the cache has it (a clean machine takes a minute or two). */
export async function baseImageTar(): Promise<string> {
  if (!isPrivateDir(CACHE))
    throw new Error(`refusing to use ${CACHE}: not a folder of this user that only it can write`);
  const tar = join(CACHE, `node-base-${BASE_SUITE}-node${process.versions.node}.tar`);
  if (existsSync(tar) && statSync(tar).size > 0) return tar;
  // a folder of this run's own: another test building the same base at once does not share it
  const root = join(CACHE, `build-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  try {
    await must('debootstrap', ['--variant=minbase', BASE_SUITE, root, MIRROR], {
      timeoutMs: 15 * 60_000,
    });
    // what only apt and people read: the tar is a third of the size without it
    for (const gone of [
      'var/cache/apt',
      'var/lib/apt/lists',
      'usr/share/doc',
      'usr/share/locale',
      'usr/share/man',
    ])
      rmSync(join(root, gone), { recursive: true, force: true });
    mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
    mkdirSync(join(root, 'usr/local/lib/node_modules'), { recursive: true });
    copyFileSync(process.execPath, join(root, 'usr/local/bin/node'));
    await must('cp', ['-a', npmFolder(), join(root, 'usr/local/lib/node_modules/npm')]);
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
    await must('tar', ['-C', root, '--numeric-owner', '-cf', `${tar}.${process.pid}`, '.'], {
      timeoutMs: 5 * 60_000,
    });
    await must('mv', [`${tar}.${process.pid}`, tar]);
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(`${tar}.${process.pid}`, { force: true });
  }
  return tar;
}

/** Imports the base into an engine (its unix socket) as BASE_IMAGE, with the PATH its `node` and `npm` are on. */
export async function importBaseImage(socket: string): Promise<string> {
  const tar = await baseImageTar();
  await must(
    DOCKER_CLI,
    [
      '-H',
      `unix://${socket}`,
      'import',
      '--change',
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--change',
      'CMD ["sh"]',
      tar,
      BASE_IMAGE,
    ],
    { timeoutMs: 5 * 60_000 },
  );
  return BASE_IMAGE;
}
