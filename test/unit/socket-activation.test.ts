import test from 'ava';
import { parseServeAddress } from '../../core/api/listen-address.js';
import {
  type ActivatedSocket,
  assignActivatedSockets,
  type FdAddress,
  takeActivatedSockets,
  unassigned,
} from '../../core/systemd/socket-activation.js';

const fdAddresses = (...texts: string[]) =>
  texts.map(parseServeAddress).filter((a): a is FdAddress & { kind: 'fd' } => a.kind === 'fd');

test('the sockets systemd passed are read as sd_listen_fds reads them, and the variables are gone after', (t) => {
  const env: NodeJS.ProcessEnv = {
    LISTEN_PID: '4242',
    LISTEN_FDS: '3',
    LISTEN_FDNAMES: 'api:status',
    PATH: '/usr/bin',
  };
  t.deepEqual(takeActivatedSockets(env, 4242), [
    { fd: 3, name: 'api' },
    { fd: 4, name: 'status' },
    { fd: 5, name: 'unknown' },
  ]);
  t.deepEqual(env, { PATH: '/usr/bin' });
  // meant for another process (a parent that did not unset them): none, and still removed
  const parents: NodeJS.ProcessEnv = { LISTEN_PID: '1', LISTEN_FDS: '1' };
  t.deepEqual(takeActivatedSockets(parents, 4242), []);
  t.deepEqual(parents, {});
  t.deepEqual(takeActivatedSockets({ LISTEN_PID: '4242', LISTEN_FDS: 'x' }, 4242), []);
});

test('fd://NAME takes the sockets named so, fd://N that descriptor, fd:// every one left', (t) => {
  const passed: ActivatedSocket[] = [
    { fd: 3, name: 'api' },
    { fd: 4, name: 'api' },
    { fd: 5, name: 'status' },
    { fd: 6, name: 'other' },
  ];
  const byName = assignActivatedSockets(fdAddresses('fd://api'), passed);
  t.deepEqual(byName.get('fd://api'), passed.slice(0, 2));
  t.deepEqual(
    unassigned(passed, byName).map((s) => s.fd),
    [5, 6],
  );
  const mixed = assignActivatedSockets(fdAddresses('fd://', 'fd://status'), passed);
  t.deepEqual(mixed.get('fd://status'), [passed[2]]);
  t.deepEqual(
    mixed.get('fd://')?.map((s) => s.fd),
    [3, 4, 6],
  );
  t.deepEqual(assignActivatedSockets(fdAddresses('fd://*'), passed).get('fd://*'), passed);
  t.deepEqual(assignActivatedSockets(fdAddresses('fd://6'), passed).get('fd://6'), [passed[3]]);
});

test('what socket activation cannot give stops the start, in dockerd words where it has some', (t) => {
  const passed: ActivatedSocket[] = [{ fd: 3, name: 'api' }];
  t.throws(() => assignActivatedSockets(fdAddresses('fd://'), []), {
    message: 'no sockets found via socket activation: make sure the service was started by systemd',
  });
  t.throws(() => assignActivatedSockets(fdAddresses('fd://missing'), passed), {
    message:
      'no socket named "missing" found via socket activation (systemd passed api (fd 3)): check FileDescriptorName= in the .socket unit',
  });
  t.throws(() => assignActivatedSockets(fdAddresses('fd://7'), passed), {
    message: /^too few socket activated files passed in by systemd: no fd 7/,
  });
  t.throws(() => assignActivatedSockets(fdAddresses('fd://api', 'fd://3'), passed), {
    message: 'fd://3: fd 3 is already taken by another -H',
  });
  t.throws(() => assignActivatedSockets(fdAddresses('fd://api', 'fd://'), passed), {
    message: 'fd://: every socket systemd passed is taken by another -H',
  });
  t.throws(() => parseServeAddress('fd://a:b'), {
    message: 'bad listen address "fd://a:b": not a socket name systemd can give',
  });
  // only -H takes them: the other addresses read as before
  t.deepEqual(parseServeAddress('unix:///run/skep.sock'), {
    kind: 'unix',
    path: '/run/skep.sock',
    text: 'unix:///run/skep.sock',
  });
});
