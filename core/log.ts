/** How much the manager logs (`--log-level`, or `logLevel` in the config). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/**
 * Logrus' text, as classic printed it, or one JSON object per line
 * (`--log-format`, dockerd's flag).
 */
export type LogFormat = 'text' | 'json';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * Structured fields of a line: `node`, `container`, `route`, `request_id`, `plugin`...
 * (never a credential).
 */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** Whether a line at this level is written: a caller skips building one that is not. */
  enabled?(level: LogLevel): boolean;
}

/** The manager's own logger, whose level and format a reload (SIGHUP) may change. */
export interface ManagerLogger extends Logger {
  enabled(level: LogLevel): boolean;
  configure(options: { level?: LogLevel; format?: LogFormat }): void;
}

/**
 * Writes lines to a stream until it breaks, then drops them: a reader that went away
 * (`swarm manage | head`, EPIPE) must not stop the manager, nor turn every later line into an
 * error that is itself logged.
 */
export function lineWriter(stream: NodeJS.WritableStream): (line: string) => void {
  let broken = false;
  stream.on('error', () => (broken = true));
  return (line) => {
    if (broken) return;
    try {
      stream.write(line + '\n');
    } catch {
      broken = true;
    }
  };
}

let stderrWriter: ((line: string) => void) | undefined;

/** logrus' text shape, as classic swarm printed: `time="..." level=info msg="..." key=value`. */
function textLine(time: string, level: LogLevel, message: string, fields?: LogFields): string {
  let line = `time="${time}" level=${level} msg=${JSON.stringify(message)}`;
  if (fields)
    for (const [key, value] of Object.entries(fields))
      if (value !== undefined)
        line += ` ${key}=${typeof value === 'string' && /^[\w./:@-]+$/.test(value) ? value : JSON.stringify(value)}`;
  return line;
}

/**
 * One JSON object per line, as dockerd's `--log-format json` writes:
 * `time`, `level`, `msg`, then the fields.
 */
function jsonLine(time: string, level: LogLevel, message: string, fields?: LogFields): string {
  return JSON.stringify({ time, level, msg: message, ...fields });
}

/** Leveled lines on stderr, in logrus' text shape (classic swarm's) or as JSON lines. */
export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (stderrWriter ??= lineWriter(process.stderr)),
  format: LogFormat = 'text',
): ManagerLogger {
  let threshold = ORDER[level];
  let shape = format === 'json' ? jsonLine : textLine;
  const at = (lvl: LogLevel) => (message: string, fields?: LogFields) => {
    if (ORDER[lvl] < threshold) return;
    // a field that cannot be written (a cycle, a BigInt)
    // must not turn a log line into a thrown error
    try {
      write(shape(new Date().toISOString(), lvl, message, fields));
    } catch {
      write(textLine(new Date().toISOString(), lvl, message));
    }
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    enabled: (lvl) => ORDER[lvl] >= threshold,
    configure(options) {
      if (options.level) threshold = ORDER[options.level];
      if (options.format) shape = options.format === 'json' ? jsonLine : textLine;
    },
  };
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  enabled: () => false,
};
