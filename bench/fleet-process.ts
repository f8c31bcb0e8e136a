import { FakeFleet } from '../test/harness/fake-fleet.js';

/**
 * One share of the fake fleet (test/harness/fake-fleet.ts) in a process of its own (forked by bench/fleet.ts), so
 * its CPU is not the manager's and can be checked: the parent asks for `stats` (requests served, CPU used, RSS)
 * over the IPC channel, or has one engine killed (by its place in this share).
 */
const [first = '0', engines = '100', perEngine = '30'] = process.argv.slice(2);
const fleet = await FakeFleet.start({
  first: Number(first),
  engines: Number(engines),
  containersPerEngine: Number(perEngine),
});

process.on('message', (message: string | { kill: number }) => {
  if (message === 'stats')
    process.send!({
      requests: fleet.requests,
      cpuMs: cpuMs(),
      rssBytes: process.memoryUsage.rss(),
    });
  if (typeof message === 'object') fleet.kill(message.kill);
  if (message === 'stop') void fleet.stop().then(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true, addresses: fleet.addresses });

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
