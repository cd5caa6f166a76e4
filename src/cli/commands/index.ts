import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Every command, loaded on demand: a command's file imports its whole module (tokenizers, SQLite, the emulator…),
 * so `tether validate` loads only the validator instead of paying ~0.45 s and ~100 MB for all of them.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  batch: async () => (await import('./batch.js')).registerBatch,
  'debug-bundle': async () => (await import('./debug-bundle.js')).registerDebugBundle,
  doctor: async () => (await import('./doctor.js')).registerDoctor,
  emulator: async () => (await import('./emulator.js')).registerEmulator,
  explain: async () => (await import('./explain.js')).registerExplain,
  finetune: async () => (await import('./finetune.js')).registerFinetune,
  gateway: async () => (await import('./gateway.js')).registerGateway,
  models: async () => (await import('./models.js')).registerModels,
  run: async () => (await import('./run.js')).registerRun,
  tokens: async () => (await import('./tokens.js')).registerTokens,
  validate: async () => (await import('./validate.js')).registerValidate,
};

/** The command named on the command line, if it is one of ours (otherwise every command is needed: help, typos). */
function invokedCommand(argv: readonly string[]): string | undefined {
  const first = argv.slice(2).find((arg) => !arg.startsWith('-'));
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? first : undefined;
}

/** Registers the invoked command, or all of them for `--help`, `help` and unknown commands. */
export async function registerCommands(program: Command, argv: readonly string[] = process.argv): Promise<void> {
  const invoked = invokedCommand(argv);
  const names = invoked !== undefined ? [invoked] : Object.keys(COMMANDS);
  const registers = await Promise.all(names.map((name) => (COMMANDS[name] as () => Promise<Register>)()));
  for (const register of registers) register(program);
}
