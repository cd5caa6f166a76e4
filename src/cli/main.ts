// tether's command line: parsing and output only; each command lives in its own file under commands/.
// Commands with a fast path run their plain argument lists without loading commander (≈10 ms of a ≈60 ms start);
// everything else, and any argument list a fast path cannot vouch for, is parsed by commander (program.ts).
// No top-level await: the build also bundles this file as CommonJS (dist/cli/main.cjs, what bin/tether.js runs),
// so that `tether explain` starts without Node's ES module loader; program.js stays an ES module loaded on demand.

type FastPath = (args: readonly string[]) => Promise<boolean>;

/** Each returns true once it has run the command, or false (having done nothing) to leave the arguments to commander. */
const FAST_PATHS: Record<string, () => Promise<FastPath>> = {
  explain: async () => (await import('./explain-fast.js')).explainWithoutCommander,
};

async function main(argv: readonly string[]): Promise<void> {
  // A reader that goes away (`tether models | head`) is not an error: stop quietly instead of a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const [name, ...args] = argv.slice(2);
  const fastPath = name !== undefined && Object.hasOwn(FAST_PATHS, name) ? await (FAST_PATHS[name] as () => Promise<FastPath>)() : undefined;
  if (fastPath !== undefined && (await fastPath(args))) return;
  const { runProgram } = await import('./program.js');
  await runProgram(argv);
}

// A failure no command caught ends the process as an uncaught error would (exit 1 with its trace): a bug to report.
void main(process.argv);
