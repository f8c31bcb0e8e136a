import { AVAILABILITIES } from '../cluster/maintenance.js';
import type { Command } from './flag.js';
import { boolFlag, listFlag, textFlag } from './flag-kinds.js';
import { HELP_FLAG } from './global-flags.js';

export interface NodeCommand {
  action: 'ls' | 'inspect' | 'update' | 'help';
  node?: string;
  host: string;
  tls: boolean;
  change: { Availability?: string; LabelAdd?: Record<string, string>; LabelRm?: string[] };
}

const DESCRIPTION = `The manager is found as the docker CLI finds it; with --tlsverify, through the ca.pem, cert.pem and
key.pem in $DOCKER_CERT_PATH (else ~/.docker).`;

/** `swarm node`, Skep's: `docker node`'s flags and variables, as the docker CLI takes them. */
export const NODE: Command<NodeCommand> = {
  names: ['node'],
  usage: 'Node maintenance on a running manager, through its API (/skep/nodes)',
  description: DESCRIPTION,
  subcommands: [
    {
      names: ['ls', 'list'],
      usage: 'List the nodes with their state, availability and Skep-side labels',
    },
    { names: ['inspect'], args: 'NODE', usage: 'One node as JSON' },
    {
      names: ['update'],
      args: '[OPTIONS] NODE',
      usage: 'Change a node: NODE is its name, address or ID',
    },
  ],
  flags: [
    textFlag<NodeCommand>({
      names: ['host', 'H'],
      usage: 'the manager: tcp://host:port or unix:///path',
      default: 'unix:///var/run/docker.sock',
      env: 'DOCKER_HOST',
      set: (t, address) => {
        t.host = address;
      },
    }),
    boolFlag<NodeCommand>({
      names: ['tlsverify', 'tls'],
      usage: 'use TLS and verify the manager',
      env: 'DOCKER_TLS_VERIFY',
      envAnyValueIsOn: true,
      set: (t, on) => {
        t.tls = on;
      },
    }),
    textFlag<NodeCommand>({
      names: ['availability'],
      usage:
        'update: whether the node takes containers (pause: no new ones; drain: none, movable ones moved off)',
      values: AVAILABILITIES,
      set: (t, availability) => {
        t.change.Availability = availability;
      },
    }),
    listFlag<NodeCommand>({
      names: ['label-add'],
      usage: 'update: add or change a Skep-side label, key=value',
      set: (t, label) => {
        const eq = label.indexOf('=');
        // the docker CLI takes `--label-add key` as key=""
        const [key, value] = eq < 0 ? [label, ''] : [label.slice(0, eq), label.slice(eq + 1)];
        t.change.LabelAdd = { ...t.change.LabelAdd, [key]: value };
      },
    }),
    listFlag<NodeCommand>({
      names: ['label-rm'],
      usage: 'update: remove a Skep-side label, by key',
      set: (t, key) => {
        t.change.LabelRm = [...(t.change.LabelRm ?? []), key];
      },
    }),
    HELP_FLAG,
  ],
  flagErrors: 'docker-cli',
  defaultsApplied: true,
};
