import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaults } from '../../config/defaults.js';
import type { ResolvedConfig } from '../../config/types.js';
import type { Logger } from '../../core/log.js';
import { Manager } from '../../core/manager.js';
import type { FakeDocker } from './fake-docker.js';
import { waitFor } from './exec.js';
import { freePort } from './skep.js';

/** A logger that keeps its lines (`level message`), for tests that check what was logged. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface InProcess {
  manager: Manager;
  logger: ReturnType<typeof recordingLogger>;
  /** A call to the manager's API, as a client makes it: the status and the body (JSON when it is JSON). */
  call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: any; text: string }>;
  stop(): Promise<void>;
}

/**
 * A manager started in this process, as `swarm manage` starts it, over these fake engines, once all are
 * healthy. Health checks are quick, so a node that goes down is noticed within a second or two.
 */
export async function inProcessManager(
  fakes: FakeDocker[],
  over: Partial<ResolvedConfig> = {},
): Promise<InProcess> {
  const port = await freePort();
  const logger = recordingLogger();
  const base = defaults();
  const config: ResolvedConfig = {
    ...base,
    hosts: [`tcp://127.0.0.1:${port}`],
    // node maintenance is kept per test, never in the working folder
    stateFile: join(mkdtempSync(join(tmpdir(), 'skep-state-')), 'skep-nodes.json'),
    nodes: fakes.map((f) => f.addr),
    engine: {
      ...base.engine,
      refreshMinMs: 300,
      refreshMaxMs: 500,
      failureRetry: 2,
      requestTimeoutMs: 5000,
      connectTimeoutMs: 1000,
    },
    ...over,
  };
  const manager = await Manager.start(config, logger);
  await waitFor(
    `${fakes.length} healthy fake nodes`,
    async () => (manager.cluster.healthy().length === fakes.length ? true : undefined),
    10_000,
  );
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // a stream of JSON lines, or plain text: the text is the body
    }
    return { status: res.status, body: parsed as any, text };
  };
  return { manager, logger, call, stop: () => manager.stop() };
}
