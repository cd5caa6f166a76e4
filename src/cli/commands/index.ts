import type { Command } from 'commander';
import { registerEmulator } from './emulator.js';
import { registerExplain } from './explain.js';
import { registerModels } from './models.js';
import { registerTokens } from './tokens.js';
import { registerValidate } from './validate.js';

/** Every command registers itself here, one line each. */
export function registerCommands(program: Command): void {
  void program;
  registerEmulator(program);
  registerExplain(program);
  registerModels(program);
  registerTokens(program);
  registerValidate(program);
}
