import { readFileSync } from 'node:fs';

/** Skep's own version, from package.json. */
export const SKEP_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/**
 * What `docker version` and `docker info` show as the server version. Scripts written for classic
 * swarm look for the `swarm/` prefix; the build metadata says which implementation answers.
 */
export const CLASSIC_VERSION = '1.2.9';
export const SWARM_VERSION = `swarm/${CLASSIC_VERSION}+skep.${SKEP_VERSION}`;
