import { badRequest } from '../errors.js';

/**
 * Parses Docker's `filters` query parameter: `{"key":["v1","v2"]}` or the older
 * `{"key":{"v1":true}}`. Keys outside `allowed` are refused with the engine's message.
 */
export function parseFilters(
  raw: string | undefined,
  allowed: readonly string[],
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!raw) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw badRequest(`invalid filter: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw badRequest('invalid filter: expected a JSON object');
  for (const [key, value] of Object.entries(parsed)) {
    if (!allowed.includes(key)) throw badRequest(`Invalid filter '${key}'`);
    const values = Array.isArray(value)
      ? value
      : value && typeof value === 'object'
        ? Object.keys(value)
        : undefined;
    if (!values || !values.every((v) => typeof v === 'string'))
      throw badRequest(`invalid filter '${key}': values must be strings`);
    if (values.length > 0) out.set(key, values as string[]);
  }
  return out;
}

/**
 * Docker's label filter (MatchKVList): every `key` or `key=value` given must hold,
 * unlike other keys' values.
 */
export function labelsMatch(
  labels: Record<string, string> | null | undefined,
  wanted: string[],
): boolean {
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    const key = eq < 0 ? w : w.slice(0, eq);
    return !!labels && key in labels && (eq < 0 || labels[key] === w.slice(eq + 1));
  });
}
