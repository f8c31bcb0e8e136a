import test from 'ava';
import { NotifySocket } from '../../core/systemd/notify.js';
import { servingStatus, SystemdService } from '../../core/systemd/service.js';
import { recordingLogger } from '../harness/in-process.js';

test('notify faults never reach the manager: a notifier that cannot run is logged once, every send settles', async (t) => {
  const logger = recordingLogger();
  const notify = new NotifySocket('/run/nowhere.sock', logger, '/nonexistent/systemd-notify');
  await notify.send({ READY: '1', STATUS: 'Serving 1 node' });
  await notify.send({ WATCHDOG: '1' });
  await notify.send({ STOPPING: '1' });
  t.is(logger.lines.length, 1, logger.lines.join('\n'));
  t.regex(
    logger.lines[0]!,
    /^warn systemd notify: READY=1 STATUS=Serving 1 node not sent to \/run\/nowhere\.sock: .*ENOENT.* \(further failures are not logged\)$/,
  );
});

test('Type=notify is seen from NOTIFY_SOCKET; the watchdog is ours unless WATCHDOG_PID names another; the variables are removed', (t) => {
  const logger = recordingLogger();
  t.is(SystemdService.fromEnv({ WATCHDOG_USEC: '1000000' }, logger, 7), undefined);
  const env: NodeJS.ProcessEnv = {
    NOTIFY_SOCKET: '@x',
    WATCHDOG_USEC: '30000000',
    WATCHDOG_PID: '7',
    HOME: '/',
  };
  t.is(SystemdService.fromEnv(env, logger, 7)?.watchdogMs, 15_000);
  t.deepEqual(env, { HOME: '/' });
  t.is(
    SystemdService.fromEnv(
      { NOTIFY_SOCKET: '/n', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '8' },
      logger,
      7,
    )?.watchdogMs,
    undefined,
  );
  t.is(SystemdService.fromEnv({ NOTIFY_SOCKET: '/n' }, logger, 7)?.watchdogMs, undefined);
});

test('the STATUS= line counts the nodes, and the healthy ones when not all are', (t) => {
  const of = (all: number, healthy: number) => ({
    all: () => Array.from({ length: all }),
    healthy: () => Array.from({ length: healthy }),
  });
  t.is(servingStatus(of(3, 3)), 'Serving 3 nodes');
  t.is(servingStatus(of(1, 1)), 'Serving 1 node');
  t.is(servingStatus(of(3, 2)), 'Serving 3 nodes, 2 healthy');
});
