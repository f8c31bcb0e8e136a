import type { DockerEvent } from '../cluster/docker-types.js';
import { badRequest } from '../errors.js';
import { labelsMatch, parseFilters } from './filters.js';
import { withDefaultTag } from '../cluster/image-ref.js';

/**
 * Every filter the Engine API documents for /events (`node` is classic swarm's: the event's node).
 */
const EVENT_FILTERS = [
  'config',
  'container',
  'daemon',
  'event',
  'image',
  'label',
  'network',
  'node',
  'plugin',
  'scope',
  'secret',
  'service',
  'type',
  'volume',
] as const;

/** Which node an event came from, for the `node` filter. */
export interface EventSource {
  name: string;
  id: string;
  addr: string;
}

export type EventMatcher = (event: DockerEvent, source: EventSource) => boolean;

/**
 * Docker's event filters (daemon/events/filter.go): values of one key are alternatives (labels
 * must all hold), keys must all match. `event=exec_start` also matches `exec_start: sh -c ...`,
 * as in the engine.
 */
export function eventMatcher(raw: string | undefined): EventMatcher {
  const filters = parseFilters(raw, EVENT_FILTERS);
  return (event, source) => {
    const attrs = event.Actor?.Attributes ?? {};
    const actorId = event.Actor?.ID ?? event.id ?? '';
    const type = event.Type ?? 'container';
    const action = event.Action ?? event.status ?? '';
    for (const [key, values] of filters) {
      const ok =
        key === 'label'
          ? labelsMatch(attrs, values)
          : values.some((v) => {
              switch (key) {
                case 'type':
                  return type === v;
                case 'event':
                  return action === v || (!v.includes(':') && action.startsWith(`${v}:`));
                case 'container':
                  return (
                    (type === 'container' &&
                      (actorId === v ||
                        (v.length >= 1 && actorId.startsWith(v)) ||
                        attrs.name === v)) ||
                    attrs.container === v
                  );
                case 'image': {
                  const image = type === 'image' ? actorId : attrs.image;
                  return (
                    image !== undefined &&
                    (image === v || withDefaultTag(image) === withDefaultTag(v))
                  );
                }
                case 'network':
                  return type === 'network' && (actorId === v || attrs.name === v);
                case 'volume':
                  return type === 'volume' && actorId === v;
                case 'daemon':
                  return type === 'daemon' && (actorId === v || attrs.name === v);
                case 'plugin':
                case 'service':
                case 'secret':
                case 'config':
                  return type === key && (actorId === v || attrs.name === v);
                case 'scope':
                  return (event.scope ?? 'local') === v;
                case 'node':
                  return source.name === v || source.id === v || source.addr === v;
                default:
                  return false;
              }
            });
      if (!ok) return false;
    }
    return true;
  };
}

/**
 * `since`/`until` as Docker takes them: Unix seconds (with a fraction) or an RFC 3339 time.
 * Nanoseconds.
 */
export function parseEventTime(value: string | undefined, name: string): bigint | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (m) return BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw badRequest(`invalid value for ${name}: ${value}`);
  return BigInt(ms) * 1_000_000n;
}
