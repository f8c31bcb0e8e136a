import { parseEtcdSpec } from '../discovery/etcd.js';
import type { StoreAccess } from '../discovery/store-access.js';
import { parseZkSpec } from '../discovery/zookeeper.js';
import type { MaintenanceStore } from '../cluster/maintenance.js';
import type { Logger } from '../log.js';
import type { NodeRecords } from '../scheduler/node-records.js';
import type { Election } from './election.js';
import { EtcdMaintenanceStore } from './etcd-maintenance-store.js';
import { EtcdNodeRecords } from './etcd-node-records.js';
import { forwardingKeyPath, sharedKey } from './forwarding-key.js';
import { Leadership } from './leadership.js';
import { ZkLeadership } from './zk-leadership.js';
import { ZkMaintenanceStore, ZkNodeRecords, zkSharedKey } from './zk-state.js';
import { within } from '../discovery/zookeeper-client.js';

/** What replication keeps in the discovery's store: the election and Skep's state beside it. */
export interface ReplicationStore {
  election: Election;
  records(kind: string): NodeRecords;
  maintenance: MaintenanceStore;
  /** The managers' shared forwarding key: where it is, and how it is read (made if absent). */
  keyPath: string;
  readKey(path: string): Promise<Buffer>;
}

export interface ReplicationSettings {
  advertise: string;
  ttlMs: number;
  access: StoreAccess;
  logger: Logger;
}

/** The store the discovery names: `etcd://` (v3, leases) or `zk://` (ephemeral sequential nodes). */
export function replicationStore(spec: string, settings: ReplicationSettings): ReplicationStore {
  return /^zk:\/\//i.test(spec) ? zkStore(spec, settings) : etcdStore(spec, settings);
}

function etcdStore(spec: string, settings: ReplicationSettings): ReplicationStore {
  const { endpoints, root } = parseEtcdSpec(spec);
  const leadership = new Leadership({ endpoints, prefix: `${root}leader/`, ...settings });
  return {
    election: leadership,
    records: (kind) => new EtcdNodeRecords(() => leadership.etcd(), root, kind),
    maintenance: new EtcdMaintenanceStore(() => leadership.etcd(), root),
    keyPath: forwardingKeyPath(root),
    readKey: (path) => sharedKey(leadership.etcd(), path),
  };
}

function zkStore(spec: string, settings: ReplicationSettings): ReplicationStore {
  const { hosts, root } = parseZkSpec(spec);
  const election = new ZkLeadership({ hosts, path: `${root}/leader`, ...settings });
  const client = () => election.client();
  return {
    election,
    records: (kind) => new ZkNodeRecords(client, root, kind),
    maintenance: new ZkMaintenanceStore(client, root),
    keyPath: `${root}/skep/forwarding-key`,
    readKey: async (path) =>
      within(zkSharedKey(await client(), path), election.callMs() * 2, `ZooKeeper ${path}`),
  };
}
