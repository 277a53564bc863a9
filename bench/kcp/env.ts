import type { Logger } from 'pino';
import type { BackendOptions } from '../../src/backend/options/options.ts';
import type { KubeClient } from '../../src/kube/client.ts';
import type { ClusterConnection } from '../../src/kube/config.ts';
import type { Kcp } from '../../test/harness/kcp.ts';

/** One workspace of the fleet the points bind and unbind. */
export interface Workspace {
  name: string;
  path: string;
  /** The logical cluster's id, the name the provider engages it by. */
  id: string;
  bound: boolean;
}

/** What every phase of a run works with: kcp, its clients, the fleet so far. */
export interface Env {
  kcp: Kcp;
  /** The kcp admin in root (views of it reach any workspace). */
  root: KubeClient;
  /** The admin in the APIExport's workspace, as the backend connects. */
  connection: ClusterConnection;
  client: KubeClient;
  exportPath: string;
  /** The admin on the virtual workspace, across all its clusters (for the checks only). */
  vw: KubeClient;
  fleet: Workspace[];
  log: Logger;
  options: BackendOptions;
}
