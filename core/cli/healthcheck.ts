#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { findSwarmProcess, probeHealthz, statusAddressOf } from './health-probe.js';

/**
 * The container image's HEALTHCHECK: the manager's operator listener answers /healthz. A manager without one
 * (no `--status-addr`, no `status.address`) has nothing to ask and is reported healthy, so the check never
 * fails a container that did not turn the listener on. Exit 0 healthy, 1 unhealthy, as Docker reads it.
 */
async function main(): Promise<number> {
  const swarm = findSwarmProcess(fileURLToPath(new URL('./swarm.js', import.meta.url)));
  if (!swarm) {
    process.stdout.write('no swarm process is running\n');
    return 1;
  }
  const address = await statusAddressOf(swarm);
  if (!address) {
    process.stdout.write('the operator listener is off (--status-addr): nothing to check\n');
    return 0;
  }
  const problem = await probeHealthz(address, 4000);
  process.stdout.write(
    problem ? `unhealthy: ${problem}\n` : `healthy: http://${address}/healthz\n`,
  );
  return problem ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stdout.write(`unhealthy: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
