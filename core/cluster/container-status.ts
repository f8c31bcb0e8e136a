import type { ContainerState } from './docker-types.js';

/** go-units HumanDuration, which the engine uses for `docker ps` STATUS. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const minutes = Math.floor(ms / 60_000);
  const hours = Math.round(ms / 3_600_000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

/**
 * Parsed timestamps, kept: `docker ps` over 30,000 containers would parse 30,000 of them per call.
 */
const parsed = new Map<string, number>();
function parseTime(iso: string): number {
  let ms = parsed.get(iso);
  if (ms === undefined) {
    if (parsed.size >= 100_000) parsed.clear();
    parsed.set(iso, (ms = Date.parse(iso)));
  }
  return ms;
}

const since = (iso: string, now: number) => humanDuration(Math.max(0, now - parseTime(iso)));
const isZeroTime = (iso: string) => !iso || iso.startsWith('0001-01-01');

/**
 * The STATUS text an engine would print now (container/state.go String()). The cache cannot keep
 * the engine's text: "Up 3 seconds" goes stale, so it is recomputed at list time from the cached
 * state. `now` is the engine's clock (manager clock corrected by the measured skew).
 */
export function statusText(state: ContainerState, now: number): string {
  if (
    state.Running ||
    state.Status === 'running' ||
    state.Status === 'paused' ||
    state.Status === 'restarting'
  ) {
    if (state.Paused) return `Up ${since(state.StartedAt, now)} (Paused)`;
    if (state.Restarting)
      return `Restarting (${state.ExitCode}) ${since(state.FinishedAt, now)} ago`;
    const health = state.Health?.Status;
    if (health && health !== 'none') {
      return `Up ${since(state.StartedAt, now)} (${health === 'starting' ? 'health: starting' : health})`;
    }
    return `Up ${since(state.StartedAt, now)}`;
  }
  if (state.Status === 'removing') return 'Removal In Progress';
  if (state.Status === 'dead' || state.Dead) return 'Dead';
  if (isZeroTime(state.StartedAt)) return 'Created';
  if (isZeroTime(state.FinishedAt)) return '';
  return `Exited (${state.ExitCode}) ${since(state.FinishedAt, now)} ago`;
}

/**
 * How long `statusText(state, now)` is sure to stay the same (ms): to the next whole second while
 * it counts seconds, the next minute while it counts minutes, the next half hour after that (hours
 * are rounded, and days, weeks... are made from them). A list of 30,000 containers then makes
 * almost no status text per call.
 */
export function statusTextLasts(state: ContainerState, now: number): number {
  const up =
    state.Running ||
    state.Status === 'running' ||
    state.Status === 'paused' ||
    state.Status === 'restarting';
  const from = up && !state.Restarting ? state.StartedAt : state.FinishedAt;
  if (state.Status === 'removing' || state.Status === 'dead' || state.Dead) return Infinity;
  if (!up && (isZeroTime(state.StartedAt) || isZeroTime(state.FinishedAt))) return Infinity;
  const elapsed = Math.max(0, now - parseTime(from));
  if (elapsed < 60_000) return 1000 - (elapsed % 1000);
  if (elapsed < 3_600_000) return 60_000 - (elapsed % 60_000);
  const halfHour = 1_800_000;
  return halfHour - (elapsed % halfHour);
}
