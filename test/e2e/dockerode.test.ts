import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { withRealEngines } from '../harness/e2e.js';
import { useCluster } from '../harness/use-cluster.js';

/** Collects what a demultiplexed stdout stream carries until it ends. */
function collect(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString()));
    stream.on('end', () => resolve(text));
  });
}

withRealEngines((test) => {
  const e2e = useCluster(test, 'dockerode', { size: 2, manager: true });
  let docker: Docker;

  test.serial.before(() => {
    docker = new Docker({ host: '127.0.0.1', port: e2e.skep.port, version: 'v1.41' });
  });

  test.serial('create, hijacked attach with stdin, start, wait, remove', async (t) => {
    const container = await docker.createContainer({
      Image: 'busybox',
      Cmd: ['sh', '-c', 'read x; echo dode:$x; echo oops >&2'],
      OpenStdin: true,
      StdinOnce: true,
      name: 'dode',
    });
    const stream = await container.attach({
      stream: true,
      stdin: true,
      stdout: true,
      stderr: true,
      hijack: true,
    });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    container.modem.demuxStream(stream, stdout, stderr);
    stream.on('end', () => {
      stdout.end();
      stderr.end();
    });
    const out = collect(stdout);
    const err = collect(stderr);
    await container.start();
    stream.write('typed\n');
    const result = (await container.wait()) as { StatusCode: number };
    t.is(result.StatusCode, 0);
    const inspected = (await container.inspect()) as unknown as {
      Name: string;
      Node: { Name: string; Addr: string };
    };
    t.is(inspected.Name, '/dode');
    t.regex(inspected.Node.Name, /^node[12]$/);
    t.is(inspected.Node.Addr, e2e.cluster.engine(inspected.Node.Name).addr);
    t.is(await out, 'dode:typed\n');
    t.is(await err, 'oops\n');
    await container.remove();
    await t.throwsAsync(container.inspect(), { message: /No such container/ });
  });

  test.serial('exec with hijack, then its exit code', async (t) => {
    const container = await docker.createContainer({
      Image: 'busybox',
      Cmd: ['sleep', '300'],
      name: 'dode-exec',
    });
    await container.start();
    const exec = await container.exec({
      Cmd: ['sh', '-c', 'cat; exit 9'],
      AttachStdin: true,
      AttachStdout: true,
    });
    const stream = await exec.start({ hijack: true, stdin: true });
    const stdout = new PassThrough();
    container.modem.demuxStream(stream, stdout, process.stderr);
    stream.on('end', () => stdout.end());
    const out = collect(stdout);
    stream.end('via dockerode\n');
    t.is(await out, 'via dockerode\n');
    t.like(await exec.inspect(), { ExitCode: 9, Running: false });
  });

  test.serial('listContainers, getContainer by name, logs', async (t) => {
    const list = await docker.listContainers();
    t.true(list.some((c) => c.Names.some((n) => /^\/node\d\/dode-exec$/.test(n))));
    const logs = await docker.getContainer('dode-exec').logs({ stdout: true, stderr: true });
    t.is(logs.length, 0);
    const info = await docker.info();
    t.is(info.SystemStatus.find(([k]: [string]) => k === 'Nodes')[1], '2');
  });
});
