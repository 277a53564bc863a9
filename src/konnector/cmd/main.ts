// `bin/konnector`: parses the flags, then runs the konnector until SIGINT/SIGTERM.
import { runMain } from '../../cli/main.ts';
import { konnectorFlags, loadKonnectorOptions } from '../options/options.ts';

await runMain({
  name: 'konnector',
  flags: konnectorFlags,
  load: (argv) => loadKonnectorOptions(argv),
  // The app (Kubernetes client, …) loads only once the flags are good: `--help`, `--version`
  // and flag errors answer from the flag tables alone.
  run: async (options, deps, signal) => {
    const { runKonnector } = await import('../app/app.ts');
    await runKonnector(options, deps, signal);
  },
});
