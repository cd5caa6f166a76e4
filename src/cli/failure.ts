// What a failed command prints and exits with, whichever way it was parsed (commander, or the fast path that
// skips it): a usage error is exit 2, anything else exit 1, each one line on stderr, never a stack trace.
import { EXIT_USAGE, UsageError } from './exit-codes.js';
import { printErr } from './output.js';
import { pathUsageError } from './paths.js';

/** Prints `tether: <message>` for an error a command threw and sets the exit code it calls for. */
export function reportFailure(error: unknown): void {
  // A path given on the command line (or derived from one) that cannot be read or written is a usage error too.
  const usage = error instanceof UsageError ? error : pathUsageError(error);
  if (usage !== undefined) {
    printErr(`tether: ${usage.message}\n`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  printErr(`tether: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
