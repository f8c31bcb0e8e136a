#!/usr/bin/env node
import { ConfigError } from '../../config/errors.js';
import { loadConfig } from '../../config/load.js';
import { createLogger } from '../log.js';
import { Manager } from '../manager.js';
import { CLASSIC_VERSION, SKEP_VERSION } from '../version.js';
import { parseArgs, type ParsedJoin } from './args.js';
import { helpFor } from './help.js';
import { parseEngineAddress } from '../cluster/address.js';
import { createDiscovery } from '../discovery/index.js';
import { parseNodeCommand, runNodeCommand } from './node-command.js';
import { bashCompletion } from './bash-completion.js';
import { zshCompletion } from './zsh-completion.js';

const COMPLETION_SCRIPTS = { bash: bashCompletion, zsh: zshCompletion };
import { servingStatus, SystemdService } from '../systemd/service.js';

/** Every startup failure is one line and exit code 1; only a bug prints a stack. */
function fail(message: string): never {
  process.stderr.write(`swarm: ${message.replace(/^swarm: /, '')}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  // `swarm list | head -1`: a reader that went away ends the output,
  // not the process with an uncaught EPIPE
  process.stdout.on('error', () => {});
  const parsed = parseArgs(process.argv.slice(2), process.env);
  if (parsed.command === 'help') {
    process.stdout.write(helpFor(parsed.topic));
    return;
  }
  if (parsed.command === 'completion') {
    process.stdout.write(COMPLETION_SCRIPTS[parsed.shell]());
    return;
  }
  if (parsed.command === 'list') {
    const logger = createLogger(parsed.flags.logLevel ?? 'warn');
    const listed = createDiscovery([parsed.discovery], {
      logger,
      heartbeatMs: parsed.timeoutMs,
      discoveryOpts: parsed.discoveryOpts,
    }).list();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ConfigError('Timed out')), parsed.timeoutMs);
    });
    try {
      for (const addr of await Promise.race([listed, timedOut])) process.stdout.write(`${addr}\n`);
    } finally {
      clearTimeout(timer);
    }
    return;
  }
  if (parsed.command === 'join') return join(parsed);
  if (parsed.command === 'node') {
    try {
      return await runNodeCommand(parseNodeCommand(parsed.args, process.env), (text) =>
        process.stdout.write(text),
      );
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(1);
    }
  }
  if (parsed.command === 'version') {
    // classic printed `swarm version 1.2.9 (<commit>)`;
    // scripts match `version [0-9]+.[0-9]+.[0-9]+`
    process.stdout.write(`swarm version ${CLASSIC_VERSION} (skep ${SKEP_VERSION})\n`);
    return;
  }
  const config = await loadConfig(parsed.flags, { file: parsed.configFile });
  const logger = createLogger(config.logLevel, undefined, config.logFormat);
  // under systemd (Type=notify): read before anything can be started with these variables
  const service = SystemdService.fromEnv(process.env, logger);
  const manager = await Manager.start(config, logger);
  // A bug in one request or one engine's handling must not take the whole cluster's endpoint down.
  process.on('unhandledRejection', (reason) => {
    logger.error(`unhandled rejection: ${(reason as Error)?.stack ?? reason}`);
  });
  process.on('uncaughtException', (err) => logger.error(`uncaught exception: ${err.stack ?? err}`));
  if (config.configFile) logger.info(`config: ${config.configFile}`);
  if (config.replication) {
    logger.info(
      `replication: this manager is ${config.advertise}, leader lease ${config.replicationTtlMs / 1000}s`,
    );
  }
  logger.info(`managing ${config.nodes.join(', ')} with strategy ${config.strategy}`);
  if (service) {
    let ready = false;
    void manager.ready.then(() => {
      ready = true;
      return service.ready(servingStatus(manager.cluster));
    });
    // a node coming or going shows in `systemctl status` (told once things settle for a second)
    let pending: NodeJS.Timeout | undefined;
    manager.cluster.on('health', () => {
      if (!ready || pending) return;
      pending = setTimeout(() => {
        pending = undefined;
        void service.status(servingStatus(manager.cluster));
      }, 1000).unref();
    });
  }
  const shutdown = (signal: string) => {
    const graceMs = signal === 'SIGTERM' ? manager.config.shutdownTimeoutMs : 0;
    logger.info(
      `${signal}: stopping${graceMs > 0 ? `; running requests have ${graceMs / 1000}s to end` : ''}`,
    );
    // whatever does not close promptly after the grace period does not hold the process
    setTimeout(() => process.exit(0), graceMs + 3000).unref();
    const told = service?.stopping(`Stopping (${signal})`);
    void Promise.all([manager.stop(graceMs), told]).then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  // SIGHUP: the config again, as dockerd reloads its daemon.json;
  // one with a mistake is refused, the running one kept
  let reloading = Promise.resolve();
  process.on('SIGHUP', () => {
    reloading = reloading.then(async () => {
      await service?.reloading();
      let outcome: string;
      try {
        const next = await loadConfig(parsed.flags, { file: parsed.configFile });
        await manager.reload(next);
        logger.configure({ level: next.logLevel, format: next.logFormat });
        logger.info(
          `SIGHUP: configuration reloaded${next.configFile ? ` from ${next.configFile}` : ''}`,
        );
        outcome = 'configuration reloaded';
      } catch (err) {
        logger.error(
          `SIGHUP: configuration not reloaded, the running one is kept: ${(err as Error).message}`,
        );
        outcome = `reload refused, the running configuration kept: ${(err as Error).message}`;
      }
      // serving either way: systemd's reload ends with READY=1
      await service?.reloaded(`${servingStatus(manager.cluster)}; ${outcome}`);
    });
  });
}

/** Keeps the engine registered until a signal; the registration then lapses after its TTL. */
async function join(options: Required<ParsedJoin>): Promise<void> {
  const logger = createLogger('info');
  const addr = parseEngineAddress(options.advertise).addr;
  const discovery = createDiscovery([options.discovery], {
    logger,
    heartbeatMs: options.heartbeatMs,
    discoveryOpts: options.discoveryOpts,
  });
  if (!discovery.register) {
    throw new ConfigError(
      `join: ${options.discovery} is not a registry; join takes etcd://host:port/path or zk://host:port/path`,
    );
  }
  if (options.delayMs > 0) {
    const delay = Math.floor(Math.random() * options.delayMs);
    logger.info(`Add a random delay ${delay / 1000}s to avoid synchronized registration`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  // as classic: a discovery that cannot be reached is retried every heartbeat, the error logged
  let stop: (() => void) | undefined;
  while (!stop) {
    try {
      stop = await discovery.register(addr, options.ttlMs);
    } catch (err) {
      if (err instanceof ConfigError) throw err; // not a reachability problem: retrying cannot help
      const why = (err as Error).message.split('\n')[0];
      logger.error(`Discovery error: ${why}; retrying in ${options.heartbeatMs / 1000}s`);
      await new Promise((resolve) => setTimeout(resolve, options.heartbeatMs));
    }
  }
  const what = `addr ${addr}, discovery ${options.discovery}, ttl ${options.ttlMs / 1000}s`;
  logger.info(
    `Registering on the discovery service every ${options.heartbeatMs / 1000}s... (${what})`,
  );
  const quit = (signal: string) => {
    logger.info(`${signal}: stopping; ${addr} leaves the cluster once its TTL has passed`);
    stop?.();
    process.exit(0);
  };
  process.once('SIGINT', () => quit('SIGINT'));
  process.once('SIGTERM', () => quit('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) fail(err.message);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    fail(`cannot listen: ${(err as Error).message}`);
  }
  process.stderr.write(`swarm: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
