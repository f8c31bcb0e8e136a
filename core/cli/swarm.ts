#!/usr/bin/env node
import { ConfigError } from '../../config/errors.js';
import { loadConfig } from '../../config/load.js';
import { createLogger } from '../log.js';
import { Manager } from '../manager.js';
import { SKEP_VERSION, SWARM_VERSION } from '../version.js';
import { MANAGE_USAGE, parseArgs, USAGE } from './args.js';

/** Every startup failure is one line and exit code 1; only a bug prints a stack. */
function fail(message: string): never {
  process.stderr.write(`swarm: ${message.replace(/^swarm: /, '')}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const parsed = parseArgs(process.argv.slice(2), process.env);
  if (parsed.command === 'help') {
    process.stdout.write(parsed.topic === 'manage' || parsed.topic === 'm' ? MANAGE_USAGE : USAGE);
    return;
  }
  if (parsed.command === 'version') {
    process.stdout.write(`swarm version ${SWARM_VERSION} (skep ${SKEP_VERSION})\n`);
    return;
  }
  const config = await loadConfig(parsed.flags, { file: parsed.configFile });
  const logger = createLogger(config.logLevel);
  const manager = await Manager.start(config, logger);
  // A bug in one request or one engine's handling must not take the whole cluster's endpoint down.
  process.on('unhandledRejection', (reason) => logger.error(`unhandled rejection: ${(reason as Error)?.stack ?? reason}`));
  process.on('uncaughtException', (err) => logger.error(`uncaught exception: ${err.stack ?? err}`));
  if (config.configFile) logger.info(`config: ${config.configFile}`);
  for (const key of Object.keys(config.clusterOpts)) logger.warn(`cluster option ${key} is accepted but the scheduler does not use it yet`);
  logger.info(`managing ${config.nodes.join(', ')} with strategy ${config.strategy}`);
  const shutdown = (signal: string) => {
    logger.info(`${signal}: stopping`);
    void manager.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) fail(err.message);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') fail(`cannot listen: ${(err as Error).message}`);
  process.stderr.write(`swarm: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
