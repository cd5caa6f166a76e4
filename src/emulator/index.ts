// Public API of the emulator: a local Together API on loopback for tests and offline development.
export { startEmulator } from './server.js';
export type { RunningEmulator, StartEmulatorOptions } from './server.js';
export { loadScenarioFile, parseScenario, parseScenarioDuration, ScenarioError, MAX_SCENARIO_EVENTS, MAX_SCENARIO_MS } from './scenario.js';
export type { Scenario, ScenarioEvent } from './scenario.js';
export type { ScenarioState, ScenarioEventState } from './scenario-player.js';
export type { UpstreamCounts } from './stats.js';
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
