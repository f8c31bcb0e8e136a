/**
 * Starts or stops a real cluster by hand, for trying Skep as a user would:
 *   npm run cluster -- up [N] [--engine=20.10|28.5|mixed]
 *                                N engines (default 3) at 10.213.5.11, .12, ...: Debian's dockerd 20.10 (the default),
 *                                today's 28.5 (`.ci/modern-docker` unpacks it), or both in turn
 *   npm run cluster -- down
 */
import { cleanup, type EngineKind, TestCluster } from './cluster.js';
import { network } from './clusters.js';
import { realEngineSupport } from './support.js';

const { prefix: PREFIX, subnet: SUBNET } = network('hand');

const engineFlag =
  process.argv.find((a) => a.startsWith('--engine='))?.slice('--engine='.length) ?? '20.10';
const [command = 'up', count = '3'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const kindOf = (i: number): EngineKind =>
  engineFlag === 'mixed' ? (i % 2 === 0 ? '20.10' : '28.5') : (engineFlag as EngineKind);
if (!['20.10', '28.5', 'mixed'].includes(engineFlag)) {
  console.error(`--engine must be 20.10, 28.5 or mixed (got ${engineFlag})`);
  process.exit(1);
}
const support = realEngineSupport();
if (!support.ok) {
  console.error(support.reason);
  process.exit(1);
}
if (command === 'down') {
  await cleanup(PREFIX);
  console.log('cluster removed');
} else if (command === 'up') {
  const size = Number(count);
  const labels = Array.from({ length: size }, (_, i) => [`zone=z${i % 2}`]);
  const cluster = await TestCluster.start({
    prefix: PREFIX,
    subnet: SUBNET,
    size,
    labels,
    engines: Array.from({ length: size }, (_, i) => kindOf(i)),
  });
  for (const e of cluster.engines)
    console.log(`${e.name}  ${e.addr}  dockerd ${e.kind}  (unix://${e.socket})`);
  console.log(`\nnpm start -- ${cluster.discovery}`);
} else {
  console.error(`usage: npm run cluster -- up [N] [--engine=20.10|28.5|mixed] | down`);
  process.exit(1);
}
