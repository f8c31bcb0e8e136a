import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { authorization } from '../../plugins/index.js';
import { findPlugin } from '../../plugins/authorization/discovery.js';
import { startAuthzPlugin } from '../harness/authz-plugin.js';
import { FakeDocker } from '../harness/fake-docker.js';
import { inProcessManager, type InProcess } from '../harness/in-process.js';

interface Logged {
  phase: string;
  request: Record<string, any>;
  verdict: { Allow: boolean; Msg?: string };
}

const calls = (socket: string): Logged[] =>
  readFileSync(`${socket}.log`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Logged);

async function setUp(
  t: import('ava').ExecutionContext,
): Promise<{ skep: InProcess; fake: FakeDocker; plugin: http.Server; socket: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'skep-authz-'));
  const socket = join(dir, 'test-authz.sock');
  const plugin = await startAuthzPlugin(socket);
  const fake = await FakeDocker.start({ name: 'n1', images: ['busybox', 'forbidden-image'] });
  const skep = await inProcessManager([fake], {
    authorizationPlugins: [{ name: 'test-authz', address: `unix://${socket}` }],
  });
  t.teardown(async () => {
    await skep.stop();
    await fake.stop();
    plugin.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { skep, fake, plugin, socket };
}

test.serial(
  "an allowed create: the plugin sees dockerd's request fields before, and the answer after",
  async (t) => {
    const { skep, fake, socket } = await setUp(t);
    const res = await fetch(
      `http://127.0.0.1:${skep.manager.config.hosts[0]!.split(':').pop()}/v1.41/containers/create?name=web`,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Registry-Auth': 'c2VjcmV0',
          'User-Agent': 'Docker-Client/28',
        },
        body: JSON.stringify({ Image: 'busybox', Cmd: ['true'] }),
      },
    );
    t.is(res.status, 201);
    const id = ((await res.json()) as { Id: string }).Id;
    t.is(
      [...fake.containers.values()].find((c) => c.id === id)?.config.Image,
      'busybox',
      'the engine got the body the plugin read',
    );
    const [before, after] = calls(socket).filter(
      (c) => c.request.RequestUri === '/v1.41/containers/create?name=web',
    );
    t.is(before!.phase, 'AuthZReq');
    t.is(before!.request.RequestMethod, 'POST');
    t.deepEqual(JSON.parse(Buffer.from(before!.request.RequestBody, 'base64').toString()), {
      Image: 'busybox',
      Cmd: ['true'],
    });
    t.is(before!.request.RequestHeaders['Content-Type'], 'application/json');
    t.is(before!.request.RequestHeaders['User-Agent'], 'Docker-Client/28');
    t.false(
      'X-Registry-Auth' in before!.request.RequestHeaders,
      'credentials are never shown to a plugin',
    );
    t.false('User' in before!.request, 'no client certificate, no user');
    t.is(after!.phase, 'AuthZRes');
    t.is(after!.request.ResponseStatusCode, 201);
    t.is(JSON.parse(Buffer.from(after!.request.ResponseBody, 'base64').toString()).Id, id);
  },
);

test.serial(
  "denials answer 403 in dockerd's words, in the request phase and the response phase; nothing is created",
  async (t) => {
    const { skep, fake } = await setUp(t);
    const denied = await skep.call('POST', '/v1.41/containers/create', {
      Image: 'forbidden-image',
    });
    t.is(denied.status, 403);
    t.deepEqual(denied.body, {
      message: 'authorization denied by plugin test-authz: anonymous may not run forbidden-image',
    });
    t.is(fake.containers.size, 0);
    const version = await skep.call('GET', '/v1.41/version');
    t.is(version.status, 403);
    t.deepEqual(version.body, {
      message: 'authorization denied by plugin test-authz: the version is secret',
    });
    t.true(
      skep.logger.lines.includes(
        'error plugin authorization: AuthZResponse for GET /v1.41/version returned error: authorization denied by plugin test-authz: the version is secret',
      ),
    );
    t.is((await skep.call('GET', '/_ping')).text, 'OK', 'what is allowed goes on');
  },
);

test.serial(
  "a plugin that cannot be reached fails closed with dockerd's error, logged once per request",
  async (t) => {
    const { skep, plugin, socket } = await setUp(t);
    t.is((await skep.call('GET', '/_ping')).text, 'OK');
    await new Promise<void>((resolve) => plugin.close(() => resolve()));
    const res = await skep.call('GET', '/v1.41/containers/json');
    t.is(res.status, 500);
    const escaped = encodeURIComponent(socket);
    t.deepEqual(res.body, {
      message: `plugin test-authz failed with error: Post "http://${escaped}/AuthZPlugin.AuthZReq": dial unix ${socket}: connect: no such file or directory`,
    });
    t.is(skep.logger.lines.filter((l) => l.includes('failed with error')).length, 1);
  },
);

test('a name is found where dockerd looks (NAME.sock, NAME.spec, NAME.json); one that is not there stops the start in dockerd words', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skep-authz-dirs-'));
  const listening = await startAuthzPlugin(join(dir, 'by-socket.sock'));
  t.teardown(() => {
    listening.close();
    rmSync(dir, { recursive: true, force: true });
  });
  mkdirSync(join(dir, 'by-spec'));
  writeFileSync(join(dir, 'by-spec', 'by-spec.spec'), 'tcp://127.0.0.1:9100\n');
  writeFileSync(
    join(dir, 'by-json.json'),
    JSON.stringify({
      Name: 'by-json',
      Addr: 'https://127.0.0.1:9101',
      TLSConfig: { InsecureSkipVerify: true },
    }),
  );
  const dirs = { sockets: dir, specs: [dir] };
  t.deepEqual(findPlugin('by-socket', dirs), {
    name: 'by-socket',
    address: `unix://${join(dir, 'by-socket.sock')}`,
  });
  t.deepEqual(findPlugin('by-spec', dirs), { name: 'by-spec', address: 'tcp://127.0.0.1:9100' });
  t.like(findPlugin('by-json', dirs), {
    address: 'https://127.0.0.1:9101',
    tls: { insecureSkipVerify: true },
  });
  t.notThrows(() => authorization({ plugins: ['by-socket', 'by-spec'], dirs }));
  t.throws(() => authorization({ plugins: ['nope'], dirs: { sockets: dir, specs: [dir] } }), {
    message: 'Error validating authorization plugin: plugin "nope" not found',
  });
  t.throws(() => authorization({ plugins: [{ name: 'x', address: '/run/x.sock' }] }), {
    message: /Unknown protocol/,
  });
});

/** A plugin over TCP that answers each path as told (status and body), for the error shapes dockerd's client reads. */
async function tcpPlugin(
  t: import('ava').ExecutionContext,
  answers: Record<string, [number, string]>,
): Promise<string> {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    const [status, body] = answers[req.url ?? ''] ?? [404, '404 page not found'];
    req.resume();
    req.on('end', () => res.writeHead(status, { 'Content-Type': 'application/json' }).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  return `tcp://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
}

test('the plugin client reads errors as dockerd does: an Err field, a plain body, a plugin that is not an authz plugin', async (t) => {
  const { AuthzPluginClient } = await import('../../plugins/authorization/client.js');
  const activated: [number, string] = [200, '{"Implements":["authz"]}'];
  const withErr = new AuthzPluginClient({
    name: 'p',
    address: await tcpPlugin(t, {
      '/Plugin.Activate': activated,
      '/AuthZPlugin.AuthZReq': [500, '{"Err":"policy engine is down"}'],
    }),
  });
  await t.throwsAsync(withErr.call('AuthZPlugin.AuthZReq', {}), {
    message: 'AuthZPlugin.AuthZReq: policy engine is down',
  });
  const plain = new AuthzPluginClient({
    name: 'p',
    address: await tcpPlugin(t, {
      '/Plugin.Activate': activated,
      '/AuthZPlugin.AuthZRes': [502, 'bad gateway\n'],
    }),
  });
  await t.throwsAsync(plain.call('AuthZPlugin.AuthZRes', {}), {
    message: 'AuthZPlugin.AuthZRes: bad gateway',
  });
  const notJson = new AuthzPluginClient({
    name: 'p',
    address: await tcpPlugin(t, {
      '/Plugin.Activate': activated,
      '/AuthZPlugin.AuthZReq': [200, 'yes'],
    }),
  });
  await t.throwsAsync(notJson.call('AuthZPlugin.AuthZReq', {}), {
    message: /^AuthZPlugin.AuthZReq: the plugin answered something that is not a JSON object/,
  });
  const volume = new AuthzPluginClient({
    name: 'p',
    address: await tcpPlugin(t, { '/Plugin.Activate': [200, '{"Implements":["VolumeDriver"]}'] }),
  });
  await t.throwsAsync(volume.call('AuthZPlugin.AuthZReq', {}), {
    message: 'Plugin does not implement the requested driver',
  });
  const refused = new AuthzPluginClient({ name: 'p', address: 'tcp://127.0.0.1:1' });
  await t.throwsAsync(refused.call('AuthZPlugin.AuthZReq', {}), {
    message:
      'Post "http://127.0.0.1:1/Plugin.Activate": dial tcp 127.0.0.1:1: connect: connection refused',
  });
});

test.serial(
  'error answers go through the response phase too, and a request with no body sends none',
  async (t) => {
    const { skep, socket } = await setUp(t);
    const missing = await skep.call('GET', '/v1.41/containers/nosuch/json');
    t.is(missing.status, 404);
    const [before, after] = calls(socket).filter(
      (c) => c.request.RequestUri === '/v1.41/containers/nosuch/json',
    );
    t.false('RequestBody' in before!.request);
    t.is(after!.request.ResponseStatusCode, 404);
    t.regex(
      Buffer.from(after!.request.ResponseBody, 'base64').toString(),
      /No such container: nosuch/,
    );
  },
);
