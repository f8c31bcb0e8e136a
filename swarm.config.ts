import { defineConfig } from 'skep';

// The manager's configuration. Flags given to `swarm manage` override what is here.
// With no nodes listed, Skep fronts the local engine (unix:///var/run/docker.sock).
export default defineConfig({
  // nodes: ['10.0.0.1:2375', '10.0.0.2:2375'],
  // hosts: ['tcp://127.0.0.1:2375'],
  strategy: 'spread',
  // filters: ['health', 'port', 'containerslots', 'dependency', 'affinity', 'constraint'],  // the default
  // clusterOpts: { 'swarm.overcommit': '0.05', 'swarm.createretry': '0' },
  // builtins: { 'hide-swarm-containers': false },   // turn a documented Swarm API behaviour off
  // plugins: [['./my-plugin.ts', { option: 'value' }]],
});
