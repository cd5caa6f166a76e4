// The full command line, parsed by commander: every command's options, help, version and usage errors.
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.js';
import { EXIT_USAGE } from './exit-codes.js';
import { reportFailure } from './failure.js';
import { printErr, printOut } from './output.js';

/** The root command with no subcommands yet (tests add one and parse with it). */
export function createProgram(): Command {
  return (
    new Command('tether')
      .description('Keeps applications working against the Together AI API when it fails them.')
      .version('0.1.0')
      .showHelpAfterError('(run with --help for usage)')
      // Commander echoes what was typed (an unknown option, a bad value): it goes through the same escaping.
      .configureOutput({ writeOut: printOut, writeErr: printErr })
      .exitOverride()
  );
}

/** Parses `argv` (node, script, args…), runs the command it names and sets process.exitCode. */
export async function runProgram(argv: readonly string[]): Promise<void> {
  const program = createProgram();
  await registerCommands(program, argv);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; every other parse failure is a usage error (exit 2).
      const ok = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
      process.exitCode = ok ? 0 : EXIT_USAGE;
    } else {
      reportFailure(error);
    }
  }
}
