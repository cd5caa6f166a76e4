import type { Command } from 'commander';
import { registerBatch } from './batch.js';
import { registerDebugBundle } from './debug-bundle.js';
import { registerDoctor } from './doctor.js';
import { registerEmulator } from './emulator.js';
import { registerExplain } from './explain.js';
import { registerFinetune } from './finetune.js';
import { registerGateway } from './gateway.js';
import { registerModels } from './models.js';
import { registerRun } from './run.js';
import { registerTokens } from './tokens.js';
import { registerValidate } from './validate.js';

/** Every command registers itself here, one line each. */
export function registerCommands(program: Command): void {
  void program;
  registerBatch(program);
  registerDebugBundle(program);
  registerDoctor(program);
  registerEmulator(program);
  registerExplain(program);
  registerFinetune(program);
  registerGateway(program);
  registerModels(program);
  registerRun(program);
  registerTokens(program);
  registerValidate(program);
}
