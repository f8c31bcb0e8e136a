/**
 * Starts or stops a real cluster by hand, for trying Skep as a user would:
 *   npm run cluster -- up [N]    N engines (default 3) at 10.213.5.11, .12, ...
 *   npm run cluster -- down
 */
import { cleanup, TestCluster } from './cluster.js';
import { realEngineSupport } from './support.js';

const PREFIX = 'skep';
const SUBNET = 5;

const [command = 'up', count = '3'] = process.argv.slice(2);
const support = realEngineSupport();
if (!support.ok) {
  console.error(support.reason);
  process.exit(1);
}
if (command === 'down') {
  await cleanup(PREFIX);
  console.log('cluster removed');
} else if (command === 'up') {
  const cluster = await TestCluster.start({ prefix: PREFIX, subnet: SUBNET, size: Number(count), labels: Array.from({ length: Number(count) }, (_, i) => [`zone=z${i % 2}`]) });
  for (const e of cluster.engines) console.log(`${e.name}  ${e.addr}  (unix://${e.socket})`);
  console.log(`\nnpm start -- ${cluster.discovery}`);
} else {
  console.error(`usage: npm run cluster -- up [N] | down`);
  process.exit(1);
}
