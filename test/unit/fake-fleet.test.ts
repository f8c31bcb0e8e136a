import test from 'ava';
import { engineHost, FakeFleet, MAX_ENGINES } from '../harness/fake-fleet.js';

// The bench splits one fake fleet over several processes (bench/fleet.ts), each started at its first engine's
// fleet-wide number: every engine must get the name, ID and address one process would have given it, or the
// manager's nodes and the bench's count would disagree. (Far numbers: no bench fleet uses those addresses.)

test('engine numbers map to distinct loopback addresses, 250 to a block, for the largest fleet', (t) => {
  t.is(engineHost(0), '127.77.0.1');
  t.is(engineHost(249), '127.77.0.250');
  t.is(engineHost(250), '127.77.1.1');
  t.is(engineHost(9999), '127.77.39.250');
  t.is(engineHost(MAX_ENGINES - 1), '127.77.255.250');
  const hosts = new Set(Array.from({ length: MAX_ENGINES }, (_, i) => engineHost(i)));
  t.is(hosts.size, MAX_ENGINES);
});

test('a share of the fleet started at its first number answers as those engines', async (t) => {
  const first = MAX_ENGINES - 251;
  const fleet = await FakeFleet.start({ first, engines: 2, containersPerEngine: 3 });
  try {
    t.deepEqual(fleet.addresses, ['127.77.254.250:2375', '127.77.255.1:2375']);
    const info = (await (await fetch(`http://${fleet.addresses[1]}/info`)).json()) as {
      ID: string;
      Name: string;
      Containers: number;
      Labels: string[];
    };
    t.like(info, { ID: `FAKE:${first + 1}`, Name: `fake-${first + 1}`, Containers: 3 });
    t.deepEqual(info.Labels, [`zone=z${(first + 1) % 2}`]);
  } finally {
    await fleet.stop();
  }
});

test('a fleet past the last loopback address is refused', async (t) => {
  await t.throwsAsync(
    FakeFleet.start({ first: MAX_ENGINES - 1, engines: 2, containersPerEngine: 0 }),
    {
      message: /at most 64000 engines/,
    },
  );
});
