// tether's command line: parsing and output only; each command lives in its own file under commands/.
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.js';
import { EXIT_USAGE, UsageError } from './exit-codes.js';
import { printErr, printOut } from './output.js';
import { pathUsageError } from './paths.js';

// A reader that goes away (`tether models | head`) is not an error: stop quietly instead of a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const program = new Command('tether')
  .description('Keeps applications working against the Together AI API when it fails them.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  // Commander echoes what was typed (an unknown option, a bad value): it goes through the same escaping.
  .configureOutput({ writeOut: printOut, writeErr: printErr })
  .exitOverride();

await registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // --help and --version exit 0; every other parse failure is a usage error (exit 2).
    const ok = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
    process.exitCode = ok ? 0 : EXIT_USAGE;
  } else if (error instanceof UsageError) {
    printErr(`tether: ${error.message}\n`);
    process.exitCode = EXIT_USAGE;
  } else if (pathUsageError(error) !== undefined) {
    // A path given on the command line (or derived from one) that cannot be read or written: a usage error.
    printErr(`tether: ${(pathUsageError(error) as UsageError).message}\n`);
    process.exitCode = EXIT_USAGE;
  } else {
    const message = error instanceof Error ? error.message : String(error);
    printErr(`tether: ${message}\n`);
    process.exitCode = 1;
  }
}
