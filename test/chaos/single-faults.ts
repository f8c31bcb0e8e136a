import { sleep } from '../harness/exec.js';
import { type ChaosFault, pick } from './faults.js';

/** One fault at a time, each over before the next: `npm run chaos`'s default. */
export const SINGLE_FAULTS: ChaosFault[] = [
  {
    name: 'engine killed',
    async inject({ cluster, log }) {
      const engine = pick(cluster.engines);
      log(`fault: kill ${engine.name}`);
      await cluster.kill(engine);
      await sleep(6000);
      await cluster.restart(engine);
    },
  },
  {
    name: 'link cut',
    async inject({ cluster, log }) {
      const engine = pick(cluster.engines);
      log(`fault: cut ${engine.name}'s link`);
      await cluster.link(engine, 'down');
      await sleep(5000);
      await cluster.link(engine, 'up');
    },
  },
  {
    name: 'engine paused',
    async inject({ cluster, log }) {
      const engine = pick(cluster.engines);
      log(`fault: pause ${engine.name}`);
      cluster.signal(engine, 'SIGSTOP');
      await sleep(5000);
      cluster.signal(engine, 'SIGCONT');
    },
  },
  {
    name: 'manager restarted',
    async inject({ managers, log }) {
      log('fault: restart the manager');
      const slot = await managers.primary();
      await managers.stop(slot, 'SIGTERM');
      await managers.start(slot, 3);
    },
  },
];
