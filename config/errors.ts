/**
 * A configuration or command-line mistake: printed as one line, exit code 1, never a stack trace.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
