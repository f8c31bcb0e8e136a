import { badRequest, notFound } from '../errors.js';

/** What lookup needs to know of each container. */
export interface Named {
  id: string;
  /** The container's name without the leading slash. */
  name: string;
  nodeName: string;
}

/**
 * Resolves what a client typed to one container, in Docker's order: full ID, then exact name
 * (`name`, `/name`, `node/name` or `/node/name`), then a unique ID prefix. Throws Docker's errors.
 */
export function resolveContainer<T extends Named>(ref: string, containers: Iterable<T>, kind = 'container'): T {
  const wanted = ref.replace(/^\//, '');
  const all = [...containers];
  const byId = all.find((c) => c.id === wanted);
  if (byId) return byId;

  const byName = all.filter((c) => c.name === wanted || `${c.nodeName}/${c.name}` === wanted);
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1) {
    throw badRequest(`${kind} name "${wanted}" is ambiguous: it exists on nodes ${byName.map((c) => c.nodeName).join(', ')}; use node/name or the ID`);
  }

  if (/^[0-9a-f]+$/i.test(wanted)) {
    const prefix = wanted.toLowerCase();
    const byPrefix = all.filter((c) => c.id.startsWith(prefix));
    if (byPrefix.length === 1) return byPrefix[0]!;
    if (byPrefix.length > 1) throw badRequest(`multiple IDs found with provided prefix: ${wanted}`);
  }
  throw notFound(`No such ${kind}: ${ref}`);
}
