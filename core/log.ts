import type { LogLevel } from '../config/types.js';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Plain leveled lines on stderr, classic swarm's logrus text shape: time, level, message. */
export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const at = (lvl: LogLevel) => (message: string) => {
    if (ORDER[lvl] >= ORDER[level]) write(`time="${new Date().toISOString()}" level=${lvl} msg=${JSON.stringify(message)}`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
