// Public API of the emulator: a local Together API on loopback for tests and offline development.
export { startEmulator } from './server.js';
export type { RunningEmulator } from './server.js';
export type { EmulatorStats } from './stats.js';
export {
  DEFAULT_EMULATOR_KEY,
  DEFAULT_KEY_LIMITS,
  EmulatorConfigError,
  loadEmulatorConfigFile,
  parseEmulatorConfig,
  parseFaults,
  resolveEmulatorConfig,
} from './config.js';
export type {
  EmulatorConfig,
  EmulatorExtraModel,
  EmulatorFileConfig,
  EmulatorKey,
  EmulatorKeyInput,
  EmulatorLogLevel,
  EmulatorOptions,
  FaultKind,
  FaultSpec,
} from './config.js';
export { parseFaultSpec, FAULT_SPEC_SYNTAX } from './fault-spec.js';
export type { ResetScope } from './state.js';
