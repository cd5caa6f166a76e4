// Everything a running emulator holds: config, catalog, per-key limiters and credits, faults, stats, logger.
import type { Logger } from 'pino';
import type { EmulatorConfig, EmulatorKey } from './config.js';
import { EmulatorCatalog } from './catalog.js';
import { CreditLedger } from './credits.js';
import { FaultEngine } from './faults.js';
import { BatchStore, resolveBatchesConfig } from './batches/store.js';
import { FileStore, STORED_BYTES_PER_FILE_LIMIT } from './files/store.js';
import { FineTuneStore } from './fine-tunes/store.js';
import { KeyLimiter } from './limits.js';
import { PlatformCapacity } from './capacity.js';
import { echoed } from './errors.js';
import { ScenarioError } from './scenario.js';
import type { Scenario } from './scenario.js';
import { ScenarioPlayer } from './scenario-player.js';
import { UpstreamRecorder } from './upstream-stats.js';
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
  /** Platform capacity per model, shared by every key (503 past it). */
  capacity: PlatformCapacity;
  /** Requests, statuses and cost per key and model: what the upstream saw. */
  upstream: UpstreamRecorder;
  /** The scenario playing, if any; `initialScenario` is the one given at start, replayed by a faults reset. */
  scenario: ScenarioPlayer;
  initialScenario?: Scenario | undefined;
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
    files: new FileStore(config.seed, config.fileProcessingMs, now, config.maxFileBytes * STORED_BYTES_PER_FILE_LIMIT),
    fineTunes: new FineTuneStore(config.seed, config.fineTuneStepMs, config.fineTuneFailures, now),
    batches: new BatchStore(config.seed, resolveBatchesConfig(config.batches), now),
    capacity: new PlatformCapacity(config.capacity),
    upstream: new UpstreamRecorder(),
    scenario: new ScenarioPlayer(config.seed, now),
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
  const basic = state.stats.snapshot(state.faults.counts(), credits);
  return {
    ...basic,
    byKeyModel: state.upstream.snapshot(),
    rateLimited: basic.byStatus['429'] ?? 0,
    overloaded: basic.byStatus['503'] ?? 0,
    costUsd: state.upstream.costUsd,
    scenario: state.scenario.state(),
    inFlight: state.capacity.busy(),
  };
}

/**
 * Start a scenario now (replacing one that plays). A capacity event that scales (`factor`) a model with no
 * configured capacity would change nothing: refused, naming the event.
 */
export function startScenario(state: EmulatorState, scenario: Scenario): void {
  for (const event of scenario.events) {
    // A misspelt model id would make an event that never fires: refused, naming it.
    const model = event.capacity?.model ?? (event.fault && 'model' in event.fault ? event.fault.model : undefined);
    if (model !== undefined && model !== '*' && state.catalog.lookup(model).kind === 'unknown') {
      throw new ScenarioError(`scenario event ${event.index} (${event.name}) names model ${echoed(model)}, which the emulator's model list does not have; use an id from GET /v1/models (or add it under models.extra)`);
    }
  }
  for (const event of scenario.events) {
    const change = event.capacity;
    if (!change || change.requestsPerSecond !== undefined || change.concurrent !== undefined) continue;
    if (change.model === '*' ? state.config.capacity.length === 0 : !state.capacity.has(change.model)) {
      throw new ScenarioError(
        `scenario event ${event.index} (${event.name}) scales the capacity of ${change.model}, which has none configured; add {"model": "${change.model}", "requestsPerSecond": N} to the emulator's \`capacity\`, or give the event requestsPerSecond / concurrent instead of factor`,
      );
    }
  }
  state.scenario.start(scenario);
}

export interface ResetScope {
  stats?: boolean;
  limits?: boolean;
  credits?: boolean;
  faults?: boolean;
  /** Uploaded files, fine-tune jobs and batches. */
  data?: boolean;
}

const RESET_PARTS = ['stats', 'limits', 'credits', 'faults', 'data'] as const;

/**
 * Which parts a reset touches: every part when the scope names none (`{}` or no scope), else only the parts
 * set to true. A part left out of a non-empty scope is left alone: `{stats: true}` must not refill credits.
 */
export function resetParts(scope: ResetScope = {}): Required<ResetScope> {
  const named = RESET_PARTS.filter((part) => scope[part] !== undefined);
  const all = named.length === 0;
  return Object.fromEntries(RESET_PARTS.map((part) => [part, all || scope[part] === true])) as Required<ResetScope>;
}

/** Back to the start state, wholly or in the parts named (see resetParts). */
export function resetState(state: EmulatorState, scope: ResetScope = {}): Required<ResetScope> {
  const parts = resetParts(scope);
  if (parts.stats) {
    state.stats.reset();
    state.faults.resetCounts();
    state.scenario.resetCounts();
    state.upstream.clear();
  }
  if (parts.limits) {
    for (const limiter of state.limiters.values()) limiter.clear();
    state.capacity.clear();
  }
  if (parts.credits) state.credits.restore();
  if (parts.faults) {
    state.faults.replace(state.config.faults);
    // The scenario given at start plays again from now; one started at run time stops.
    if (state.initialScenario) state.scenario.start(state.initialScenario);
    else state.scenario.stop();
  }
  if (parts.data) {
    state.files.clear();
    state.fineTunes.clear();
    state.batches.clear();
  }
  return parts;
}
