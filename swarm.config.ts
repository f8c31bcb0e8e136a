import { defineConfig } from 'skep';

// The manager's configuration. Flags given to `swarm manage` override what is here.
// With no nodes listed, Skep fronts the local engine (unix:///var/run/docker.sock).
export default defineConfig({
  // nodes: ['10.0.0.1:2375', '10.0.0.2:2375'],
  // hosts: ['tcp://127.0.0.1:2375'],
  strategy: 'spread',
  filters: ['health'],
  // plugins: [myPlugin()],
});
