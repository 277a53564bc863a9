// `bin/konnector`: parses the flags, then runs the konnector until SIGINT/SIGTERM.
import { runMain } from '../../cli/main.ts';
import { runKonnector } from '../app/app.ts';
import { konnectorFlags, loadKonnectorOptions } from '../options/options.ts';

await runMain({
  name: 'konnector',
  flags: konnectorFlags,
  load: (argv) => loadKonnectorOptions(argv),
  run: runKonnector,
});
