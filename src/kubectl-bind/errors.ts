// The two ways a command fails: bad usage (exit 2, with a pointer to --help) and everything else
// (exit 1). Messages are one line and say what to do next where there is something to do.

/** The command line is wrong: an unknown flag, a missing argument, a malformed value. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The command ran and failed: the server is unreachable, refused, the login timed out, … */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

/** One line, whatever a message contains (server-sent details may have newlines). */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
