import type { LogLevel } from '../config/types.js';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * Writes lines to a stream until it breaks, then drops them: a reader that went away (`swarm manage | head`,
 * EPIPE) must not stop the manager, nor turn every later line into an error that is itself logged.
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

/** Plain leveled lines on stderr, classic swarm's logrus text shape: time, level, message. */
export function createLogger(level: LogLevel, write: (line: string) => void = (stderrWriter ??= lineWriter(process.stderr))): Logger {
  const at = (lvl: LogLevel) => (message: string) => {
    if (ORDER[lvl] >= ORDER[level]) write(`time="${new Date().toISOString()}" level=${lvl} msg=${JSON.stringify(message)}`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
