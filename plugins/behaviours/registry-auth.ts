import { DockerError, type SkepPlugin } from '../../core/plugin-api.js';

const PLUGIN_NAME = 'registry-auth';

const NAME = PLUGIN_NAME;
const DOCKER_HUB = 'https://index.docker.io/v1/';
/**
 * How a registry says no to a pull without (the right) credentials,
 * or for an image it does not have.
 */
const REGISTRY_REFUSED =
  /unauthorized|no basic auth credentials|authentication required|access denied|denied:|manifest unknown|not found/i;

/**
 * The registry an image reference names: its first segment when that looks like a host,
 * else Docker Hub.
 */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : DOCKER_HUB;
}

const decode = (value: string): unknown =>
  JSON.parse(Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
// Go's base64.URLEncoding, as engines decode the header: URL alphabet, with padding.
const encode = (value: unknown) =>
  Buffer.from(JSON.stringify(value)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');

/**
 * `X-Registry-Config` (a map of registry → credentials, the form the Swarm API document names)
 * as the `X-Registry-Auth` of one image's registry.
 * Undefined when it has none for that registry or cannot be read.
 */
export function authFromConfig(header: string, image: string): string | undefined {
  let config: unknown;
  try {
    config = decode(header);
  } catch {
    return undefined;
  }
  if (typeof config !== 'object' || config === null) return undefined;
  const registry = registryOf(image);
  const entries = Object.entries(config as Record<string, unknown>);
  const hostOf = (key: string) => key.replace(/^https?:\/\//, '').split('/')[0];
  const found = entries.find(
    ([key]) =>
      key === registry ||
      hostOf(key) === hostOf(registry) ||
      (registry === DOCKER_HUB && hostOf(key) === 'docker.io'),
  );
  return found ? encode(found[1]) : undefined;
}

const headerOf = (
  headers: Readonly<Record<string, string | string[] | undefined>>,
  name: string,
) => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * A create that needs an image the chosen node lacks pulls it there first, with the client's
 * credentials (`X-Registry-Auth`, or its entry in `X-Registry-Config`) passed down unchanged.
 * When that pull fails, the create fails with the engine's own message and status
 * (a bad reference, an unreachable node), as classic passed the pull's error on;
 * the scheduler then tries the nodes that have the image, if any does.
 * One deliberate difference: when the registry refused for want of credentials
 * (or knows no such image), the client gets what the engine answers a create of an image it
 * lacks, `404 No such image`, so the docker CLI pulls with its own login and retries.
 */
export function registryAuth(): SkepPlugin {
  return {
    name: NAME,
    apply(hooks) {
      hooks.beforeEngineCreate.tapPromise(NAME, async (config, { actions, requestContext }) => {
        const image = config.Image;
        if (!image || actions.hasImage(image)) return config;
        const headers = requestContext.headers;
        const auth =
          headerOf(headers, 'x-registry-auth') ??
          (headerOf(headers, 'x-registry-config') &&
            authFromConfig(headerOf(headers, 'x-registry-config')!, image));
        const pulled = await actions.pull(image, auth ? { 'X-Registry-Auth': auth } : {});
        if (!pulled.ok) {
          if (REGISTRY_REFUSED.test(pulled.message ?? '')) {
            const tagged =
              image.includes('@') || image.slice(image.lastIndexOf('/') + 1).includes(':')
                ? image
                : `${image}:latest`;
            throw new DockerError(404, `No such image: ${tagged}`);
          }
          throw new DockerError(
            pulled.status >= 400 ? pulled.status : 500,
            pulled.message ?? `pulling ${image} failed`,
          );
        }
        return config;
      });
    },
  };
}
