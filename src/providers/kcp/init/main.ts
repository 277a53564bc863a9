// `bin/kcp-init`: what upstream's kcp-init does (docs/controllers.md §6.5), idempotently: the
// kube-bind workspace, the kube-bind.io APIResourceSchemas, the APIExport and its recursive
// APIBinding. Prints the workspace path the backend's kubeconfig should point at.
import { KubeClient } from '../../../kube/client.ts';
import { connectionFromKubeconfig } from '../../../kube/config.ts';
import { runMain } from '../../../cli/main.ts';
import { bootstrapKcp } from '../bootstrap.ts';
import { kcpInitFlags, loadKcpInitOptions } from './options.ts';

await runMain({
  name: 'kcp-init',
  flags: kcpInitFlags,
  load: (argv) => loadKcpInitOptions(argv),
  run: async (options, { log }, signal) => {
    const connection = await connectionFromKubeconfig({
      file: options.kubeconfig ?? '',
      ...(options.context && { context: options.context }),
    });
    const client = new KubeClient(connection, { userAgent: 'kube-bind-ts-kcp-init' });
    try {
      const path = await bootstrapKcp({
        client,
        parent: options.parent,
        workspace: options.workspace,
        bindableBy: options.bindableBy,
        timeoutMs: options.timeoutMs,
        log,
        signal,
      });
      process.stdout.write(
        `kube-bind.io is exported from ${path}.\n` +
          `Run the backend against that workspace with --multicluster-runtime-provider=kcp ` +
          `--apiexport-endpointslice-name=kube-bind.io; provider workspaces bind ${path}:kube-bind.io.\n`,
      );
    } finally {
      await client.close();
    }
  },
});
