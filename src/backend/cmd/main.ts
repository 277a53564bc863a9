// `bin/backend`: parses upstream's flags, then runs the backend until SIGINT/SIGTERM.
import { runMain } from '../../cli/main.ts';
import { backendFlags, loadBackendOptions } from '../options/options.ts';

await runMain({
  name: 'backend',
  flags: backendFlags,
  load: (argv) => loadBackendOptions(argv),
  // The app (Kubernetes client, …) loads only once the flags are good: `--help`, `--version`
  // and flag errors answer from the flag tables alone.
  run: async (options, deps, signal) => {
    const { runBackend } = await import('../app/app.ts');
    await runBackend(options, deps, signal);
  },
});
