// Everything a running emulator holds: config, catalog, per-key limiters and credits, faults, stats, logger.
import type { Logger } from 'pino';
import type { EmulatorConfig, EmulatorKey } from './config.js';
import { EmulatorCatalog } from './catalog.js';
import { CreditLedger } from './credits.js';
import { FaultEngine } from './faults.js';
import { BatchStore, resolveBatchesConfig } from './batches-store.js';
import { FileStore } from './files-store.js';
import { FineTuneStore } from './fine-tunes-store.js';
import { KeyLimiter } from './limits.js';
import { StatsRecorder } from './stats.js';
import type { EmulatorStats } from './stats.js';

export interface EmulatorState {
  config: EmulatorConfig;
  catalog: EmulatorCatalog;
  keys: Map<string, EmulatorKey>;
  limiters: Map<string, KeyLimiter>;
  credits: CreditLedger;
  faults: FaultEngine;
  stats: StatsRecorder;
  /** Uploaded files and fine-tune jobs, per key. */
  files: FileStore;
  fineTunes: FineTuneStore;
  batches: BatchStore;
  log: Logger;
  now: () => number;
}

export function createState(config: EmulatorConfig, log: Logger, now: () => number = Date.now): EmulatorState {
  return {
    config,
    catalog: new EmulatorCatalog(config.models.extra, config.models.exclude),
    keys: new Map(config.keys.map((k) => [k.key, k])),
    limiters: new Map(config.keys.map((k) => [k.key, new KeyLimiter(k)])),
    credits: new CreditLedger(config.keys),
    faults: new FaultEngine(config.seed, config.faults),
    stats: new StatsRecorder(),
    files: new FileStore(config.seed, config.fileProcessingMs, now),
    fineTunes: new FineTuneStore(config.seed, config.fineTuneStepMs, config.fineTuneFailures, now),
    batches: new BatchStore(config.seed, resolveBatchesConfig(config.batches), now),
    log,
    now,
  };
}

/** A key by its value or its name. */
export function findKey(state: EmulatorState, keyOrName: string): EmulatorKey | undefined {
  return state.keys.get(keyOrName) ?? [...state.keys.values()].find((k) => k.name === keyOrName);
}

export function limiterFor(state: EmulatorState, key: EmulatorKey): KeyLimiter {
  const limiter = state.limiters.get(key.key);
  if (!limiter) throw new Error(`no limiter for key ${key.name}`);
  return limiter;
}

export function statsSnapshot(state: EmulatorState): EmulatorStats {
  const credits = Object.fromEntries(state.config.keys.map((k) => [k.name, state.credits.balance(k.key)]));
  return state.stats.snapshot(state.faults.counts(), credits);
}

export interface ResetScope {
  stats?: boolean;
  limits?: boolean;
  credits?: boolean;
  faults?: boolean;
  /** Uploaded files, fine-tune jobs and batches. */
  data?: boolean;
}

/** Back to the start state; each part can be left alone. */
export function resetState(state: EmulatorState, scope: ResetScope = {}): void {
  if (scope.stats ?? true) {
    state.stats.reset();
    state.faults.resetCounts();
  }
  if (scope.limits ?? true) for (const limiter of state.limiters.values()) limiter.clear();
  if (scope.credits ?? true) state.credits.restore();
  if (scope.faults ?? true) state.faults.replace(state.config.faults);
  if (scope.data ?? true) {
    state.files.clear();
    state.fineTunes.clear();
    state.batches.clear();
  }
}
