import { withRealEngines } from '../harness/e2e.js';
import { demux, rawExchange } from '../harness/raw-http.js';
import { useCluster } from '../harness/use-cluster.js';

withRealEngines((test) => {
  const e2e = useCluster(test, 'http-api', {
    size: 2,
    manager: { args: (cluster) => [`nodes://${cluster.discovery}`] },
  });
  const api = (path: string, init?: RequestInit) => fetch(`${e2e.skep.url}${path}`, init);
  const create = async (name: string, body: Record<string, unknown>) => {
    const res = await api(`/v1.41/containers/create?name=${name}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { Id: string; message?: string } };
  };
  const start = (id: string) => api(`/v1.41/containers/${id}/start`, { method: 'POST' });

  test.serial(
    '_ping answers GET and HEAD with the cluster API version, unversioned as clients ping',
    async (t) => {
      for (const method of ['GET', 'HEAD']) {
        const res = await api('/_ping', { method });
        t.is(res.status, 200);
        t.is(res.headers.get('api-version'), '1.41');
        t.is(res.headers.get('ostype'), 'linux');
        t.is(await res.text(), method === 'GET' ? 'OK' : '');
      }
      const version = (await (await api('/v1.41/version')).json()) as {
        ApiVersion: string;
        MinAPIVersion: string;
        Version: string;
      };
      t.is(version.ApiVersion, '1.41');
      t.is(version.MinAPIVersion, '1.24');
      t.regex(version.Version, /^swarm\//);
    },
  );

  test.serial("errors have Docker's shape and status", async (t) => {
    const cases: [string, RequestInit | undefined, number, RegExp][] = [
      [
        '/v1.99/info',
        undefined,
        400,
        /^client version 1\.99 is too new\. Maximum supported API version is 1\.41$/,
      ],
      ['/v1.41/swarm', undefined, 503, /^This node is not a swarm manager/],
      ['/v1.41/plugins', undefined, 404, /^page not found$/],
      ['/v1.41/containers/nope/json', undefined, 404, /^No such container: nope$/],
      ['/v1.41/exec/nope/json', undefined, 404, /^No such exec instance: nope$/],
      [
        '/v1.41/containers/create',
        { method: 'POST', body: '{"Image":' },
        400,
        /^invalid JSON in request body/,
      ],
      [
        '/v1.41/containers/json?filters={"colour":["red"]}',
        undefined,
        400,
        /^Invalid filter 'colour'$/,
      ],
      [
        '/v1.41/containers/create?name=no%20spaces',
        { method: 'POST', body: '{}' },
        400,
        /^Invalid container name/,
      ],
    ];
    for (const [path, init, status, message] of cases) {
      const res = await api(path, init);
      t.is(res.status, status, path);
      t.is(res.headers.get('content-type'), 'application/json', path);
      t.regex(((await res.json()) as { message: string }).message, message, path);
    }
  });

  test.serial(
    "an engine's error reaches the client with the engine's status and message",
    async (t) => {
      // Skep pulls what the node lacks; the registry cannot be reached from here: the engine's own
      // error, not "No such image"
      const res = await create('needs-image', { Image: 'no-such-image:9' });
      t.is(res.status, 500);
      t.regex(res.body.message!, /registry-1\.docker\.io/);
      const made = await create('dup', { Image: 'busybox', Cmd: ['true'] });
      t.is(made.status, 201);
      const again = await create('dup', { Image: 'busybox', Cmd: ['true'] });
      t.is(again.status, 409);
      t.regex(
        again.body.message!,
        /^Conflict\. The container name "\/dup" is already in use by container "[0-9a-f]{64}"/,
      );
      const stopped = await api(`/v1.41/containers/dup/stop`, { method: 'POST' });
      t.is(stopped.status, 304, 'stopping a container that never ran: the engine says 304');
    },
  );

  test.serial('two concurrent creates with one name: one wins, the other gets 409', async (t) => {
    const results = await Promise.all([
      create('race', { Image: 'busybox', Cmd: ['true'] }),
      create('race', { Image: 'busybox', Cmd: ['true'] }),
    ]);
    t.deepEqual(results.map((r) => r.status).sort(), [201, 409]);
    const listed = (await (
      await api('/v1.41/containers/json?all=1&filters={"name":["^/race$"]}')
    ).json()) as unknown[];
    t.is(listed.length, 1);
  });

  test.serial('wait answers its headers at once, before the container exits', async (t) => {
    const { body } = await create('slow', {
      Image: 'busybox',
      Cmd: ['sh', '-c', 'sleep 3; exit 2'],
    });
    t.is((await start(body.Id)).status, 204);
    const began = Date.now();
    const res = await api(`/v1.41/containers/${body.Id}/wait`, { method: 'POST' });
    t.is(res.status, 200);
    t.true(Date.now() - began < 1500, `headers took ${Date.now() - began} ms`);
    t.like(await res.json(), { StatusCode: 2 });
    t.true(Date.now() - began >= 2000);
  });

  test.serial(
    'attach with Connection: Upgrade answers 101 and splices stdin and stdout',
    async (t) => {
      const { body } = await create('upcat', {
        Image: 'busybox',
        Cmd: ['cat'],
        OpenStdin: true,
        StdinOnce: true,
        AttachStdin: true,
        AttachStdout: true,
      });
      const request =
        `POST /v1.41/containers/upcat/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: skep\r\n` +
        'Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n';
      const pending = rawExchange(e2e.skep.port, request, {
        writes: ['hello 101\n'],
        gapMs: 700,
        endAfterWrites: true,
      });
      await new Promise((r) => setTimeout(r, 300));
      t.is((await start(body.Id)).status, 204);
      const data = await pending;
      const head = data.subarray(0, data.indexOf('\r\n\r\n')).toString();
      t.regex(head, /^HTTP\/1\.1 101 UPGRADED\r\n/);
      t.regex(head, /Upgrade: tcp/);
      const frames = demux(data.subarray(data.indexOf('\r\n\r\n') + 4));
      t.deepEqual(frames, [{ stream: 1, text: 'hello 101\n' }]);
    },
  );

  test.serial(
    'the older raw-stream form (no Upgrade header) gets 200 and the same splice',
    async (t) => {
      const { body } = await create('rawcat', {
        Image: 'busybox',
        Cmd: ['cat'],
        OpenStdin: true,
        AttachStdin: true,
      });
      t.is((await start(body.Id)).status, 204);
      const data = await rawExchange(
        e2e.skep.port,
        'POST /v1.41/containers/rawcat/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: skep\r\n\r\n',
        {
          writes: ['hello raw\n'],
          timeoutMs: 2000,
        },
      );
      const text = data.toString('latin1');
      t.regex(text, /^HTTP\/1\.1 200 OK\r\nContent-Type: application\/vnd\.docker\.raw-stream\r\n/);
      t.deepEqual(demux(data.subarray(data.indexOf('\r\n\r\n') + 4)), [
        { stream: 1, text: 'hello raw\n' },
      ]);
    },
  );

  test.serial('exec create, hijacked start, and exec inspect are routed by exec ID', async (t) => {
    const { body } = await create('execbox', { Image: 'busybox', Cmd: ['sleep', '300'] });
    await start(body.Id);
    const exec = (await (
      await api('/v1.41/containers/execbox/exec', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          Cmd: ['sh', '-c', 'read x; echo exec:$x; exit 6'],
          AttachStdin: true,
          AttachStdout: true,
        }),
      })
    ).json()) as { Id: string };
    const startBody = JSON.stringify({ Detach: false, Tty: false });
    const data = await rawExchange(
      e2e.skep.port,
      `POST /v1.41/exec/${exec.Id}/start HTTP/1.1\r\nHost: skep\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${startBody.length}\r\n\r\n${startBody}`,
      { writes: ['abc\n'], endAfterWrites: true },
    );
    t.regex(data.toString('latin1'), /^HTTP\/1\.1 101 UPGRADED/);
    t.deepEqual(demux(data.subarray(data.indexOf('\r\n\r\n') + 4)), [
      { stream: 1, text: 'exec:abc\n' },
    ]);
    const inspected = (await (await api(`/v1.41/exec/${exec.Id}/json`)).json()) as {
      ExitCode: number;
      Running: boolean;
    };
    t.like(inspected, { ExitCode: 6, Running: false });
  });

  test.serial(
    'an upgrade request for an unknown container gets a plain 404 and the connection ends',
    async (t) => {
      const data = await rawExchange(
        e2e.skep.port,
        'POST /v1.41/containers/ghost/attach?stream=1 HTTP/1.1\r\nHost: skep\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
        { timeoutMs: 5000 },
      );
      const text = data.toString();
      t.regex(text, /^HTTP\/1\.1 404 Not Found\r\n/);
      t.regex(text, /\{"message":"No such container: ghost"\}$/);
    },
  );

  test.serial('events from every node arrive on one stream', async (t) => {
    const controller = new AbortController();
    const res = await api('/v1.41/events', { signal: controller.signal });
    t.is(res.status, 200);
    const reader = res.body!.getReader();
    const ids: string[] = [];
    for (const name of ['ev1', 'ev2']) {
      const { body } = await create(name, { Image: 'busybox', Cmd: ['true'] });
      ids.push(body.Id);
      await start(body.Id);
    }
    const seen = new Map<string, string>();
    let text = '';
    const deadline = Date.now() + 10_000;
    while (seen.size < 2 && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
      for (const line of text.split('\n').slice(0, -1)) {
        const event = JSON.parse(line) as { Action: string; id: string };
        if (event.Action === 'start' && ids.includes(event.id)) seen.set(event.id, line);
      }
    }
    controller.abort();
    t.is(seen.size, 2);
    // byte for byte what the engine wrote (timeNano is beyond what a JSON number keeps exactly)
    const engine = e2e.cluster.engines[0]!;
    const now = Math.ceil(Date.now() / 1000);
    const direct = await fetch(
      `http://${engine.addr}/events?since=${now - 60}&until=${now}&filters=${encodeURIComponent('{"event":["start"]}')}`,
    );
    const engineLines = (await direct.text()).trim().split('\n');
    // what the engine wrote, plus classic swarm's node decoration
    const undecorated = (line: string) => {
      const event = JSON.parse(line) as {
        from?: string;
        node?: unknown;
        Actor: { Attributes: Record<string, string> };
      };
      delete event.node;
      for (const key of Object.keys(event.Actor.Attributes))
        if (key.startsWith('node.')) delete event.Actor.Attributes[key];
      if (event.from) event.from = event.from.replace(/ node:\S+$/, '');
      return JSON.stringify(event);
    };
    const timeNano = (line: string) => /"timeNano":(\d+)/.exec(line)![1];
    const shared = [...seen.values()].filter((line) =>
      engineLines.some(
        (e) => undecorated(e) === undecorated(line) && timeNano(e) === timeNano(line),
      ),
    );
    t.is(
      shared.length,
      1,
      'the start event of the container on node1 arrives as node1 wrote it, to the nanosecond',
    );
    t.regex(shared[0]!, new RegExp(`"node.name":"${engine.name}"`));
    const nodes = await Promise.all(
      ids.map(async (id) => {
        for (const engine of e2e.cluster.engines)
          if ((await e2e.cluster.docker(engine, ['inspect', id])).code === 0) return engine.name;
        return undefined;
      }),
    );
    t.not(nodes[0], nodes[1], 'the two containers ran on different nodes');
  });

  test.serial('lists come from the cache, merged across nodes', async (t) => {
    const containers = (await (await api('/v1.41/containers/json?all=1')).json()) as {
      Names: string[];
    }[];
    // names carry their node (/node1/dup), as classic swarm listed them
    t.true(
      ['dup', 'race', 'slow', 'upcat', 'rawcat', 'execbox'].every((n) =>
        containers.some((c) => c.Names.some((m) => new RegExp(`^/node\\d/${n}$`).test(m))),
      ),
    );
    const images = (await (await api('/v1.41/images/json')).json()) as {
      RepoTags: string[];
      Node: { Name: string };
    }[];
    const busybox = images.filter((i) => i.RepoTags.includes('busybox:latest'));
    t.deepEqual(
      busybox.map((i) => i.Node.Name).sort(),
      ['node1', 'node2'],
      'one row per node that holds it',
    );
    const networks = (await (await api('/v1.41/networks')).json()) as { Name: string }[];
    t.deepEqual(
      networks
        .filter((n) => n.Name.endsWith('/bridge'))
        .map((n) => n.Name)
        .sort(),
      ['node1/bridge', 'node2/bridge'],
      'a local network is listed as node/name',
    );
    const volumes = (await (await api('/v1.41/volumes')).json()) as { Volumes: unknown[] };
    t.true(Array.isArray(volumes.Volumes));
  });
});
