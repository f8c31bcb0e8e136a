import test from 'ava';
import { run } from '../harness/exec.js';
import { REPO_ROOT, SWARM_BIN } from '../harness/skep.js';

const swarm = (args: string[]) =>
  run(process.execPath, [SWARM_BIN, ...args], { cwd: REPO_ROOT, timeoutMs: 20_000 });

test('swarm completion without a shell it knows: one line on stderr, exit code 1, as other usage errors', async (t) => {
  const cases: [string[], string][] = [
    [[], "swarm: completion: expected a shell: bash or zsh (see 'swarm completion --help')\n"],
    [
      ['fish'],
      `swarm: completion: unknown shell "fish": bash or zsh (see 'swarm completion --help')\n`,
    ],
    [['bash', 'zsh'], 'swarm: completion: expected one shell, got 2: bash zsh\n'],
    [
      ['--shell', 'bash'],
      "swarm: completion: flag provided but not defined: --shell (see 'swarm completion --help')\n",
    ],
  ];
  for (const [args, stderr] of cases) {
    const res = await swarm(['completion', ...args]);
    t.deepEqual(
      { code: res.code, stderr: res.stderr, stdout: res.stdout },
      { code: 1, stderr, stdout: '' },
    );
  }
});

test("swarm completion bash|zsh prints the script; --help lists completion after classic's commands", async (t) => {
  const bash = await swarm(['completion', 'bash']);
  t.is(bash.code, 0);
  t.regex(bash.stdout, /\ncomplete -F _swarm swarm\n$/);
  const zsh = await swarm(['completion', 'zsh']);
  t.is(zsh.code, 0);
  t.regex(zsh.stdout, /^#compdef swarm\n/);
  const help = await swarm(['--help']);
  const commands = help.stdout.split('Commands:\n')[1]!.split('\n\n')[0]!.split('\n');
  t.deepEqual(
    commands.map((line) => line.trim().split('\t')[0]),
    ['manage, m', 'join, j', 'list, l', 'node', 'completion', 'help, h'],
  );
  const usage = await swarm(['completion', '--help']);
  t.regex(usage.stdout, /^Usage: swarm completion \[OPTIONS\] SHELL\n/);
  t.regex(usage.stdout, /\n {2}bash\t+The script for bash/);
});
