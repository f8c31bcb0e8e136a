import { ConfigError } from '../../config/errors.js';
import { dashed, type Flag, type FlagData } from './flag.js';
import { goBoolean, goDuration, goInt } from './go-values.js';

/** A flag's data but its kind and default, which the helper for its kind sets. */
type Described = Omit<FlagData, 'kind' | 'asks' | 'default'>;

interface BoolSpec<T> extends Described {
  set(target: T, on: boolean): void;
  /** The docker CLI's rule for its variables: any value turns it on (`DOCKER_TLS_VERIFY`). */
  envAnyValueIsOn?: boolean;
}

/** `--tls`, `--tls=false`: takes no value of its own. */
export function boolFlag<T>(spec: BoolSpec<T>): Flag<T> {
  const { set, envAnyValueIsOn, ...data } = spec;
  return {
    ...data,
    kind: 'bool',
    set(target, value, shown) {
      const on = goBoolean(value);
      if (on === undefined)
        throw new ConfigError(`invalid boolean value "${value}" for flag ${shown}`);
      set(target, on);
    },
    // urfave/cli ignored a variable Go could not read as a boolean:
    // `DEBUG=express:*` is not debug mode
    fromEnv(target, value) {
      const on = envAnyValueIsOn ? true : goBoolean(value);
      if (on !== undefined) set(target, on);
    },
  };
}

interface TextSpec<T> extends Described {
  /** `file`: a path. */
  kind?: 'string' | 'file';
  default?: string;
  set(target: T, value: string, shown: string): void;
}

/** One value taken as it is: a name, an address, a path. */
export function textFlag<T>(spec: TextSpec<T>): Flag<T> {
  return { ...spec, kind: spec.kind ?? 'string' };
}

interface ChoiceSpec<T, V extends string> extends Described {
  values: readonly V[];
  default: V;
  set(target: T, value: V): void;
}

/** One of a few values, others refused in Go's flag package's words. */
export function choiceFlag<T, V extends string>(spec: ChoiceSpec<T, V>): Flag<T> {
  const { set, ...data } = spec;
  const isOne = (value: string): value is V => (spec.values as readonly string[]).includes(value);
  return {
    ...data,
    kind: 'string',
    set(target, value, shown) {
      if (!isOne(value)) {
        throw new ConfigError(
          `invalid value "${value}" for flag ${shown} (one of ${spec.values.join(', ')})`,
        );
      }
      set(target, value);
    },
  };
}

interface DurationSpec<T> extends Described {
  default?: string;
  /**
   * Name the value in the error, as Go's flag package did,
   * rather than the flag, as cli/manage.go did.
   */
  errorNamesValue?: boolean;
  set(target: T, ms: number): void;
}

/** A Go duration ("30s", "1m30s"), given to `set` in milliseconds. */
export function durationFlag<T>(spec: DurationSpec<T>): Flag<T> {
  const { set, errorNamesValue, ...data } = spec;
  return {
    ...data,
    kind: 'duration',
    set(target, value, shown) {
      const what = errorNamesValue ? `value "${value}" for flag ${shown}` : dashed(spec.names[0]!);
      set(target, goDuration(value, what));
    },
  };
}

interface IntSpec<T> extends Described {
  default: number;
  set(target: T, value: number): void;
}

/** A whole number. */
export function intFlag<T>(spec: IntSpec<T>): Flag<T> {
  const { set, ...data } = spec;
  return {
    ...data,
    kind: 'int',
    default: String(spec.default),
    set: (target, value, shown) => set(target, goInt(value, shown)),
  };
}

interface ListSpec<T> extends Described {
  default?: readonly string[];
  set(target: T, item: string, shown: string): void;
}

/** Repeatable, each value one more item: `-H a -H b`. */
export function listFlag<T>(spec: ListSpec<T>): Flag<T> {
  return { ...spec, kind: 'list' };
}
