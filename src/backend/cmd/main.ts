// `bin/backend`: parses upstream's flags, then runs the backend until SIGINT/SIGTERM.
import { runMain } from '../../cli/main.ts';
import { runBackend } from '../app/app.ts';
import { backendFlags, loadBackendOptions } from '../options/options.ts';

await runMain({
  name: 'backend',
  flags: backendFlags,
  load: (argv) => loadBackendOptions(argv),
  run: runBackend,
});
