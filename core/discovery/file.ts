import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { ConfigError } from '../../config/errors.js';
import type { Logger } from '../log.js';
import type { Discovery } from './discovery.js';
import { parseEntries } from './entries.js';

/**
 * `file:///path`: one `ip:port` per line (ranges, commas and `#` comments as classic swarm took
 * them). The file is watched: nodes are added and removed as it changes, without a restart. A file
 * that is missing (at start too, as classic allowed), unreadable or wrong keeps the last good list,
 * and says why in the log.
 */
export class FileDiscovery implements Discovery {
  constructor(
    readonly path: string,
    private readonly logger?: Logger,
    private readonly pollMs = 1000,
  ) {}

  private read(): string[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `discovery file ${this.path}: ` +
          `${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      );
    }
    try {
      return parseEntries([text]);
    } catch (err) {
      throw new ConfigError(`discovery file ${this.path}: ${(err as Error).message}`);
    }
  }

  async list(): Promise<string[]> {
    return this.read();
  }

  watch(onEntries: (entries: string[]) => void): () => void {
    let last: string | undefined;
    let lastError: string | undefined;
    const onChange = () => {
      try {
        const entries = this.read();
        lastError = undefined;
        if (JSON.stringify(entries) === last) return;
        if (last !== undefined)
          this.logger?.info(`discovery file ${this.path}: ${entries.length} nodes`);
        last = JSON.stringify(entries);
        onEntries(entries);
      } catch (err) {
        // said once per distinct failure, not on every poll
        if ((err as Error).message !== lastError)
          this.logger?.error(
            `Discovery error: ${(err as Error).message}; ` +
              `${last === undefined ? 'no nodes until it can be read' : 'keeping the last list'}`,
          );
        lastError = (err as Error).message;
      }
    };
    // stat polling: it follows editors that replace the file, and files on any filesystem
    watchFile(this.path, { interval: this.pollMs, persistent: false }, onChange);
    // until the file is first read, read it again every poll
    // (a file that appears as the watch starts is not a change)
    const retry = setInterval(() => {
      if (last === undefined) onChange();
      else clearInterval(retry);
    }, this.pollMs);
    retry.unref();
    onChange();
    return () => {
      clearInterval(retry);
      unwatchFile(this.path, onChange);
    };
  }
}
