import { parseDuration } from '../../config/duration.js';
import { ConfigError } from '../../config/errors.js';

/**
 * Go's strconv.ParseBool, which classic's flags (Go's flag package under urfave/cli)
 * read booleans with.
 */
const GO_BOOLEANS = new Map<string, boolean>([
  ...['1', 't', 'T', 'TRUE', 'true', 'True'].map((v) => [v, true] as const),
  ...['0', 'f', 'F', 'FALSE', 'false', 'False'].map((v) => [v, false] as const),
]);

/** A boolean as Go read it, or undefined when Go would have refused it. */
export const goBoolean = (value: string): boolean | undefined => GO_BOOLEANS.get(value);

/**
 * A duration as classic read it with Go's time.ParseDuration (a sign allowed), failing in Go's
 * words as the Go that built classic swarm wrote them (Go 1.15 added quotes); `what` names the flag
 * as classic did.
 */
export function goDuration(value: string, what: string): number {
  const ms = parseDuration(value);
  if (ms !== undefined) return ms;
  const unit = /^[+-]?(?:\d+\.?\d*|\.\d+)([^\d.]+)/.exec(value)?.[1];
  let why = `invalid duration ${value}`;
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)$/.test(value)) why = `missing unit in duration ${value}`;
  else if (unit) why = `unknown unit ${unit} in duration ${value}`;
  throw new ConfigError(`invalid ${what}: time: ${why}`);
}

/** A whole number as Go's flag package read an int flag, failing in its words. */
export function goInt(value: string, shown: string): number {
  if (!/^[+-]?\d+$/.test(value))
    throw new ConfigError(`invalid value "${value}" for flag ${shown}: parse error`);
  return Number(value);
}

/** How classic wrote a default duration in its help: "60s", not Go's "1m0s". */
export const inSeconds = (ms: number): string => `${ms / 1000}s`;
