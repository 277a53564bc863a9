// Vitest global setup of the integration project: one shared control plane for the whole run —
// a Kubernetes cluster (etcd + kube-apiserver + kube-controller-manager), kcp and dex — started
// side by side, handed to the tests through `inject()`, and torn down at the end. When the run
// failed, the servers' logs are kept under test-artifacts/.
import type { TestProject } from 'vitest/node';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { runFailed } from './run-state.ts';

let plane: ControlPlane | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  plane = await startControlPlane({ name: 'test' });
  project.provide('controlPlane', plane.shared);
  return async () => {
    await plane?.stop({ keepLogs: runFailed() });
  };
}
