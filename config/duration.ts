const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a duration as Go's time.ParseDuration reads it, as classic swarm took it: numbers each
 * with a unit ("30s", "1m30s", "250ms", "1.5h", a sign allowed), or "0". Undefined when malformed,
 * and for a bare number, which has no unit.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const sign = value.startsWith('-') ? -1 : 1;
  const unsigned = value.replace(/^[+-]/, '');
  if (unsigned === '0') return 0;
  if (unsigned === '') return undefined;
  let total = 0;
  let rest = unsigned;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/** Why a value is not a duration, for a config error. */
export const DURATION_EXPECTED =
  'a duration with a unit, as Go writes it ("30s", "1m30s", "500ms"); a bare number has no unit';
