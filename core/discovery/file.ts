import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { ConfigError } from '../../config/errors.js';
import type { Logger } from '../log.js';
import type { Discovery } from './discovery.js';
import { parseEntries } from './entries.js';

/**
 * `file:///path`: one `ip:port` per line (ranges, commas and `#` comments as classic swarm took them). The file is
 * watched: nodes are added and removed as it changes, without a restart. A file that becomes unreadable or wrong
 * keeps the last good list, and says why in the log.
 */
export class FileDiscovery implements Discovery {
  constructor(
    readonly path: string,
    private readonly logger?: Logger,
    private readonly pollMs = 1000,
  ) {
    this.read(); // at start, a missing or wrong file is an error
  }

  private read(): string[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      throw new ConfigError(`discovery file ${this.path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
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
    let last = JSON.stringify(this.read());
    onEntries(JSON.parse(last) as string[]);
    // stat polling: it follows editors that replace the file, and files on any filesystem
    const onChange = () => {
      try {
        const entries = this.read();
        if (JSON.stringify(entries) === last) return;
        last = JSON.stringify(entries);
        this.logger?.info(`discovery file ${this.path}: ${entries.length} nodes`);
        onEntries(entries);
      } catch (err) {
        this.logger?.warn(`${(err as Error).message}; keeping the last list`);
      }
    };
    watchFile(this.path, { interval: this.pollMs, persistent: false }, onChange);
    return () => unwatchFile(this.path, onChange);
  }
}
