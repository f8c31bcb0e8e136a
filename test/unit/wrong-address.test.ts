import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { defaults } from '../../config/defaults.js';
import { waitFor } from '../harness/exec.js';
import { inProcessManager } from '../harness/in-process.js';
import { freePort } from '../harness/skep.js';

/** The node block of `docker info` for one address: its `└` lines as name → value. */
function nodeBlock(systemStatus: [string, string][], addr: string): Record<string, string> {
  const start = systemStatus.findIndex(([, value]) => value === addr);
  const block: Record<string, string> = {};
  for (const [key, value] of systemStatus.slice(start + 1)) {
    if (!key.startsWith('  └ ')) break;
    block[key.slice(4)] = value;
  }
  return block;
}

const slowRefresh = {
  refreshMinMs: 3000,
  refreshMaxMs: 5000,
  failureRetry: 2,
  requestTimeoutMs: 2000,
  connectTimeoutMs: 500,
};

test.serial(
  'an address that answers HTTP but is no engine: Unhealthy with the reason in docker info, retries back off, one warning',
  async (t) => {
    // a web server on the wrong port: every path is 404
    let versionCalls = 0;
    const web = http.createServer((req, res) => {
      if (req.url?.endsWith('/version')) versionCalls++;
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    const addr = `127.0.0.1:${(web.address() as AddressInfo).port}`;
    const skep = await inProcessManager([], {
      nodes: [addr],
      engine: { ...defaults().engine, ...slowRefresh },
    });
    t.teardown(async () => {
      await skep.stop();
      web.close();
    });

    const error = 'not a Docker engine: GET /version answered 404';
    const block = await waitFor('the node unhealthy', async () => {
      const info = await skep.call('GET', '/info');
      const node = nodeBlock(info.body.SystemStatus, addr);
      return node.Status === 'Unhealthy' ? node : undefined;
    });
    t.is(block.Error, error);
    const started = versionCalls;
    await new Promise((resolve) => setTimeout(resolve, 6500));
    // probes after 1 s, 2 s, 3 s... (the shortest refresh interval at most): 3 in 6.5 s; every half second would be 13
    t.true(versionCalls - started <= 3, `${versionCalls - started} retries in 6.5 s`);
    const warnings = skep.logger.lines.filter((l) => l.startsWith('warn ') && l.includes(addr));
    t.deepEqual(warnings, [`warn node ${addr} (${addr}) is now unhealthy: ${error}`]);
  },
);

test.serial(
  'a node that never connects stays Pending with its error in docker info, and is logged once, not per retry',
  async (t) => {
    const addr = `127.0.0.1:${await freePort()}`;
    const skep = await inProcessManager([], {
      nodes: [addr],
      engine: { ...defaults().engine, ...slowRefresh, refreshMinMs: 300, refreshMaxMs: 1000 },
    });
    t.teardown(() => skep.stop());
    const block = await waitFor('an error on the pending node', async () => {
      const info = await skep.call('GET', '/info');
      const node = nodeBlock(info.body.SystemStatus, addr);
      return node.Error ? node : undefined;
    });
    t.is(block.Status, 'Pending');
    t.regex(block.Error!, /ECONNREFUSED/);
    await waitFor(
      'three more retries',
      async () => (skep.manager.cluster.all()[0]!.failures >= 4 ? true : undefined),
      10_000,
    );
    const warnings = skep.logger.lines.filter((l) => l.startsWith('warn ') && l.includes(addr));
    t.is(warnings.length, 1, warnings.join('\n'));
    t.regex(
      warnings[0]!,
      new RegExp(
        `^warn node ${addr} cannot be reached yet: .*ECONNREFUSED.* \\(retrying, at least every 1s\\)$`,
      ),
    );
  },
);
