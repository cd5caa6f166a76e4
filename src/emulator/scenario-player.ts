// Plays a scenario against the emulator's clock: which events are active at a moment, the capacity a model has
// then, and the faults in force. Nothing runs on a timer: every question is answered from `now - startedAt`, so a
// test with a fake clock plays a minute of scenario in no time.
import type { CapacityOverride } from './capacity.js';
import type { FaultKind } from './config.js';
import { FaultEngine } from './faults.js';
import type { Scenario, ScenarioEvent } from './scenario.js';

export interface ScenarioEventState {
  index: number;
  name: string;
  atMs: number;
  forMs: number | null;
}

/** What GET /_emulator/scenario and the stats report. */
export interface ScenarioState {
  /** A scenario is loaded and has not ended (a looping one never ends until stopped). */
  running: boolean;
  name: string | null;
  /** Time since its start on the emulator's clock (ms); null when none was started. */
  elapsedMs: number | null;
  durationMs: number | null;
  loop: boolean;
  /** Times through the loop completed (0 for a scenario that does not loop). */
  loops: number;
  /** Events in force now. */
  active: ScenarioEventState[];
  events: number;
  /** Faults the scenario injected so far, by kind. */
  injected: Partial<Record<FaultKind, number>>;
}

function eventState(event: ScenarioEvent): ScenarioEventState {
  return { index: event.index, name: event.name, atMs: event.atMs, forMs: event.forMs ?? null };
}

export class ScenarioPlayer {
  private scenario: Scenario | undefined;
  private startedAt = 0;
  private engine: FaultEngine | undefined;
  /** Which events the current engine was built for ("1,4"). */
  private engineFor = '';
  private readonly injected = new Map<FaultKind, number>();

  constructor(
    private readonly seed: number,
    private readonly now: () => number,
  ) {}

  /** Start (or restart) a scenario at `at` (default now); its times count from then. */
  start(scenario: Scenario, at: number = this.now()): void {
    this.stop();
    this.scenario = scenario;
    this.startedAt = at;
  }

  stop(): void {
    this.collectCounts();
    this.scenario = undefined;
    this.engine = undefined;
    this.engineFor = '';
  }

  /** Time into the scenario at `now`, after loops; undefined when none is running or it has ended. */
  private position(now: number): { ms: number; loops: number } | undefined {
    const scenario = this.scenario;
    if (!scenario) return undefined;
    const elapsed = Math.max(0, now - this.startedAt);
    const duration = scenario.durationMs;
    if (duration === undefined) return { ms: elapsed, loops: 0 };
    if (!scenario.loop) return elapsed < duration ? { ms: elapsed, loops: 0 } : undefined;
    if (duration === 0) return { ms: 0, loops: 0 };
    return { ms: elapsed % duration, loops: Math.floor(elapsed / duration) };
  }

  /** Events in force at `now`: started, and not yet over. */
  active(now: number): ScenarioEvent[] {
    const position = this.position(now);
    if (!position || !this.scenario) return [];
    return this.scenario.events.filter((event) => event.atMs <= position.ms && (event.forMs === undefined || position.ms < event.atMs + event.forMs));
  }

  /** The capacity change in force for `model` (its own event, else a `*` one; the latest-started wins). */
  capacityOverride(model: string, now: number): CapacityOverride | undefined {
    let chosen: ScenarioEvent | undefined;
    for (const event of this.active(now)) {
      const change = event.capacity;
      if (!change || (change.model !== model && change.model !== '*')) continue;
      const better =
        chosen === undefined ||
        (change.model === model && chosen.capacity?.model === '*') ||
        ((change.model === model) === (chosen.capacity?.model === model) && event.atMs >= chosen.atMs);
      if (better) chosen = event;
    }
    if (!chosen?.capacity) return undefined;
    const { factor, requestsPerSecond, concurrent } = chosen.capacity;
    return { factor, requestsPerSecond, concurrent };
  }

  /** Whether a capacity event names `model` (or `*`) at any time: such a model needs capacity counting. */
  touchesCapacity(model: string): boolean {
    return this.scenario?.events.some((event) => event.capacity && (event.capacity.model === model || event.capacity.model === '*')) ?? false;
  }

  /** The faults in force at `now`, as a FaultEngine (rebuilt when the set changes), or undefined when none. */
  faults(now: number): FaultEngine | undefined {
    const active = this.active(now).filter((event) => event.fault !== undefined);
    const key = active.map((event) => event.index).join(',');
    if (key !== this.engineFor) {
      this.collectCounts();
      this.engineFor = key;
      this.engine = active.length === 0 ? undefined : new FaultEngine(this.seed, active.map((event) => event.fault as NonNullable<ScenarioEvent['fault']>));
    }
    return this.engine;
  }

  private collectCounts(): void {
    if (!this.engine) return;
    for (const [kind, count] of Object.entries(this.engine.counts()) as Array<[FaultKind, number]>) {
      this.injected.set(kind, (this.injected.get(kind) ?? 0) + count);
    }
    this.engine.resetCounts();
  }

  resetCounts(): void {
    this.engine?.resetCounts();
    this.injected.clear();
  }

  state(now: number = this.now()): ScenarioState {
    const scenario = this.scenario;
    const position = this.position(now);
    const injected = new Map(this.injected);
    for (const [kind, count] of Object.entries(this.engine?.counts() ?? {}) as Array<[FaultKind, number]>) injected.set(kind, (injected.get(kind) ?? 0) + count);
    return {
      running: position !== undefined,
      name: scenario?.name ?? null,
      elapsedMs: scenario ? Math.max(0, now - this.startedAt) : null,
      durationMs: scenario?.durationMs ?? null,
      loop: scenario?.loop ?? false,
      loops: position?.loops ?? 0,
      active: this.active(now).map(eventState),
      events: scenario?.events.length ?? 0,
      injected: Object.fromEntries(injected),
    };
  }
}
