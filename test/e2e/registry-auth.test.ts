import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withRealEngines } from '../harness/e2e.js';
import { must } from '../harness/exec.js';
import { TestRegistry } from '../harness/registry.js';
import { DOCKER_CLI } from '../harness/support.js';
import { hostIp } from '../harness/clusters.js';
import { useCluster } from '../harness/use-cluster.js';

/** Private images through Skep, with a real registry that requires a password. */
withRealEngines((test) => {
  // the manager starts once the registry holds the image (below)
  const e2e = useCluster(test, 'registry-auth', (net) => ({
    size: 2,
    insecureRegistries: [`${hostIp(net)}:5000`],
  }));
  let registry: TestRegistry;
  let image: string;
  const PASSWORD = 'Pa55-w0rd-never-logged';
  /** A docker CLI config folder of its own, as a user's ~/.docker. */
  const clientConfig = (config: object = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'skep-docker-config-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    return { DOCKER_CONFIG: dir };
  };
  const holders = async () => {
    const out: string[] = [];
    for (const e of e2e.cluster.engines)
      if ((await e2e.cluster.docker(e, ['image', 'inspect', image])).code === 0) out.push(e.name);
    return out;
  };
  const removeEverywhere = async () => {
    for (const e of e2e.cluster.engines) await e2e.cluster.docker(e, ['rmi', '-f', image]);
  };

  test.serial.before(async () => {
    registry = await TestRegistry.start({
      dir: join(e2e.cluster.stateDir, 'registry'),
      host: e2e.cluster.hostIp,
      port: 5000,
      user: 'skep',
      password: PASSWORD,
    });
    image = `${registry.address}/team/private:1`;
    // Put a private image in the registry, straight from an engine.
    const node1 = e2e.cluster.engines[0]!;
    const direct = (args: string[], input?: string) =>
      must(DOCKER_CLI, ['-H', `unix://${node1.socket}`, ...args], {
        env: { ...process.env, ...clientConfig() },
        input,
      });
    await direct(['tag', 'busybox', image]);
    const config = clientConfig();
    const withLogin = (args: string[], input?: string) =>
      must(DOCKER_CLI, ['-H', `unix://${node1.socket}`, ...args], {
        env: { ...process.env, ...config },
        input,
      });
    await withLogin(['login', '-u', registry.user, '--password-stdin', registry.address], PASSWORD);
    await withLogin(['push', image]);
    await direct(['rmi', image]);
    e2e.skep = await e2e.startManager([e2e.cluster.discovery], { nodes: 2 });
  });

  test.serial("a pull without credentials fails with the registry's own refusal", async (t) => {
    const res = await e2e.skep.docker(['pull', image], { env: clientConfig() });
    t.not(res.code, 0);
    t.regex(res.stderr, /no basic auth credentials|unauthorized|authentication required/);
    t.deepEqual(await holders(), []);
  });

  test.serial(
    'docker login, then docker pull through Skep pulls on every node with the credentials',
    async (t) => {
      const env = clientConfig();
      const login = await e2e.skep.docker(
        ['login', '-u', registry.user, '--password-stdin', registry.address],
        { input: PASSWORD, env },
      );
      t.is(login.code, 0, login.stderr);
      t.regex(login.stdout, /Login Succeeded/);
      const wrong = await e2e.skep.docker(
        ['login', '-u', registry.user, '--password-stdin', registry.address],
        { input: 'wrong', env: clientConfig() },
      );
      t.not(wrong.code, 0);
      const pull = await e2e.skep.docker(['pull', image], { env });
      t.is(pull.code, 0, pull.stderr);
      // classic's lines: the node as the id, `Pulling IMAGE... : <the engine's status>`
      t.regex(
        pull.stdout,
        new RegExp(
          `node1: Pulling ${image.replace(/[.]/g, '\\.')}(:latest)?\\.\\.\\. : (Pull complete|Status: Downloaded newer image)`,
        ),
      );
      t.deepEqual(await holders(), ['node1', 'node2']);
    },
  );

  test.serial(
    'docker login then docker run of the private image works whatever node is chosen',
    async (t) => {
      const env = clientConfig();
      t.is(
        (
          await e2e.skep.docker(
            ['login', '-u', registry.user, '--password-stdin', registry.address],
            { input: PASSWORD, env },
          )
        ).code,
        0,
      );
      for (const name of ['r1', 'r2']) {
        await removeEverywhere();
        const res = await e2e.skep.docker(
          ['run', '--name', name, image, 'echo', `hello from ${name}`],
          { env },
        );
        t.is(res.code, 0, res.stderr);
        t.is(res.stdout, `hello from ${name}\n`);
      }
      t.is((await e2e.skep.docker(['rm', 'r1', 'r2'])).code, 0);
    },
  );

  test.serial(
    "X-Registry-Auth sent with the create (the seed's HttpHeaders way) makes Skep pull on the chosen node itself",
    async (t) => {
      await removeEverywhere();
      const auth = Buffer.from(
        JSON.stringify({
          username: registry.user,
          password: PASSWORD,
          serveraddress: registry.address,
        }),
      ).toString('base64');
      const env = clientConfig({ HttpHeaders: { 'X-Registry-Auth': auth } });
      const res = await e2e.skep.docker(['run', '--rm', image, 'echo', 'via header'], { env });
      t.is(res.code, 0, res.stderr);
      t.is(res.stdout, 'via header\n');
      t.notRegex(res.stderr, /Unable to find image/, 'no CLI pull was needed');
      t.is((await holders()).length, 1, 'only the chosen node pulled');
    },
  );

  test.serial(
    'X-Registry-Config (a registry → credentials map) is accepted on create too',
    async (t) => {
      await removeEverywhere();
      const header = Buffer.from(
        JSON.stringify({ [registry.address]: { username: registry.user, password: PASSWORD } }),
      ).toString('base64');
      const res = await fetch(`${e2e.skep.url}/containers/create?name=rc`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Registry-Config': header },
        body: JSON.stringify({ Image: image, Cmd: ['true'] }),
      });
      t.is(res.status, 201, await res.clone().text());
      t.is((await holders()).length, 1);
      const bad = await fetch(`${e2e.skep.url}/containers/create?name=rc2`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Registry-Config': Buffer.from('{"other:5000":{}}').toString('base64'),
        },
        body: JSON.stringify({ Image: `${registry.address}/team/absent:1`, Cmd: ['true'] }),
      });
      t.is(bad.status, 404);
      t.deepEqual(await bad.json(), {
        message: `No such image: ${registry.address}/team/absent:1`,
      });
      t.is((await e2e.skep.docker(['rm', 'rc'])).code, 0);
    },
  );

  test.serial(
    'docker push through Skep, from a node that has the image, with the credentials',
    async (t) => {
      const env = clientConfig();
      t.is(
        (
          await e2e.skep.docker(
            ['login', '-u', registry.user, '--password-stdin', registry.address],
            { input: PASSWORD, env },
          )
        ).code,
        0,
      );
      const pushed = `${registry.address}/team/pushed:1`;
      t.is((await e2e.skep.docker(['tag', 'busybox', pushed])).code, 0);
      const push = await e2e.skep.docker(['push', pushed], { env });
      t.is(push.code, 0, push.stderr);
      t.regex(push.stdout, /1: digest: sha256:[0-9a-f]{64}/);
      const anonymous = await e2e.skep.docker(['push', pushed], { env: clientConfig() });
      t.not(anonymous.code, 0);
      t.regex(anonymous.stderr, /no basic auth credentials|unauthorized|authentication required/);
    },
  );

  test.serial('credentials never reach the manager log', async (t) => {
    const logs = e2e.skep.logs.join('');
    t.false(logs.includes(PASSWORD));
    t.false(logs.includes(Buffer.from(PASSWORD).toString('base64').slice(0, 12)));
    t.pass();
  });
});
