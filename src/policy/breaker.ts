/**
 * Circuit breakers, one per model: repeated overload (503/500/timeouts, never a 4xx) opens a model's circuit, and
 * while it is open its traffic goes to the route's fallbacks. After a cool-down one request, and only one, is let
 * through as a probe: success closes the circuit, overload opens it again.
 *
 * The "when to open" counting is cockatiel's (`ConsecutiveBreaker` by default; `SamplingBreaker` or
 * `CountBreaker` through `createBreaker`). The state machine is our own, thin: cockatiel's CircuitBreakerPolicy
 * wraps the call (`execute(fn)`) and, while half-open, makes other callers wait for the probe's result, whereas
 * the pipeline needs to ask "is this model open?" before choosing a model, route everyone else to a fallback
 * during the probe, and settle a streamed attempt long after the call that started it returned.
 *
 * Each model's circuit lives in this process, so `isOpen` and `acquire` stay synchronous on the hot path. Instances
 * share *transitions* instead (see redis-breaker-sync.ts): `onTransition` reports this process's own opens and
 * closes, and `apply` takes a peer's, without reporting it again.
 */
import { CircuitState, ConsecutiveBreaker, type IBreaker } from 'cockatiel';
import { behaviourOf, categoriesWhere } from '../errors/index.js';
import type { ErrorCategory, TogetherError } from '../errors/index.js';
import { systemClock, type Clock } from './clock.js';
import type { BreakerState, PolicyEvents } from './events.js';

/** Failures that say the model itself is struggling. A 4xx, a 429 or a network error says nothing about it. */
export const OVERLOAD_CATEGORIES: ReadonlySet<ErrorCategory> = categoriesWhere('countsForBreaker', true);

export interface BreakerOptions {
  /** Consecutive overload failures that open a circuit (ConsecutiveBreaker). Default 5. */
  threshold?: number;
  /** How long an open circuit refuses traffic before a probe may go. Default 30 s. */
  coolDownMs?: number;
  /** A probe neither settled nor released within this time is written off and another may go. Default 60 s. */
  probeTimeoutMs?: number;
  /** One counting strategy per model, e.g. `() => new SamplingBreaker({...})`. Overrides `threshold`. */
  createBreaker?: () => IBreaker;
  events?: PolicyEvents;
  clock?: Clock;
}

/** A change another instance may apply: the circuit opened (a cool-down starts at `at`) or closed. */
export interface CircuitTransition {
  state: 'open' | 'closed';
  /** When it happened, in clock ms (wall-clock across instances: the system clock). */
  at: number;
}

export type TransitionListener = (model: string, transition: CircuitTransition) => void;

export interface CircuitSnapshot {
  state: BreakerState;
  /** When the circuit last opened (clock ms); 0 when it never did. */
  openedAt: number;
  /** When the probe in flight started; undefined when none is. */
  probeStartedAt: number | undefined;
  /** The counting strategy's own state (cockatiel's `IBreaker.state`), for serialisation. */
  counter: unknown;
}

/** Permission to send one attempt to a model, settled exactly once with its outcome. */
export interface BreakerTicket {
  readonly model: string;
  /** True when this attempt is the half-open probe. */
  readonly probe: boolean;
  /** The model answered. */
  success(): void;
  /** The attempt failed: overload counts against the model; any other error is no verdict (`release`). */
  failure(error: TogetherError): void;
  /** No verdict (aborted, or a failure that is not the model's): a probe's turn passes to the next request. */
  release(): void;
}

interface Circuit {
  state: BreakerState;
  openedAt: number;
  probeStartedAt: number | undefined;
  breaker: IBreaker;
  /** Bumped on every state change: tickets from an earlier generation no longer move the state. */
  generation: number;
  /** When the state last changed (clock ms): a peer's transition older than this is stale. */
  changedAt: number;
}

function checkPositive(name: string, value: number | undefined, integer = false): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`breaker.${name} must be a positive ${integer ? 'integer' : 'number'} (got ${String(value)}).`);
  }
}

export class BreakerRegistry {
  private readonly circuits = new Map<string, Circuit>();
  private readonly listeners = new Set<TransitionListener>();
  /** How long an open circuit refuses traffic (a shared store keeps transitions a few of these). */
  readonly coolDownMs: number;
  private readonly probeTimeoutMs: number;
  private readonly createBreaker: () => IBreaker;
  private readonly events: PolicyEvents | undefined;
  private readonly clock: Clock;

  constructor(options: BreakerOptions = {}) {
    checkPositive('threshold', options.threshold, true);
    checkPositive('coolDownMs', options.coolDownMs);
    checkPositive('probeTimeoutMs', options.probeTimeoutMs);
    const threshold = options.threshold ?? 5;
    this.coolDownMs = options.coolDownMs ?? 30_000;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 60_000;
    this.createBreaker = options.createBreaker ?? (() => new ConsecutiveBreaker(threshold));
    this.events = options.events;
    this.clock = options.clock ?? systemClock;
  }

  /** The circuit's recorded state (an open circuit past its cool-down still reads 'open' until a probe starts). */
  state(model: string): BreakerState {
    return this.circuits.get(model)?.state ?? 'closed';
  }

  /**
   * True when a request for `model` should go elsewhere: the circuit is open and cooling down, or half-open with
   * its probe in flight. False once the cool-down is over: the next `acquire` is the probe.
   */
  isOpen(model: string): boolean {
    const circuit = this.circuits.get(model);
    if (!circuit) return false;
    const now = this.clock.now();
    if (circuit.state === 'open') return now - circuit.openedAt < this.coolDownMs;
    if (circuit.state === 'half_open') return this.probeInFlight(circuit, now);
    return false;
  }

  /**
   * How long until `model`'s circuit lets its half-open probe through (ms; 0 when it would let a request through
   * now): the `retry-after` of an answer the open circuit refused.
   */
  msUntilProbe(model: string): number {
    const circuit = this.circuits.get(model);
    if (!circuit) return 0;
    const now = this.clock.now();
    if (circuit.state === 'open') return Math.max(0, circuit.openedAt + this.coolDownMs - now);
    // A probe in flight settles within its timeout at the latest.
    if (circuit.state === 'half_open' && this.probeInFlight(circuit, now)) return Math.max(0, (circuit.probeStartedAt ?? now) + this.probeTimeoutMs - now);
    return 0;
  }

  /** Permission to send to `model`, or undefined when its circuit refuses (route to a fallback). */
  acquire(model: string): BreakerTicket | undefined {
    const circuit = this.circuit(model);
    const now = this.clock.now();
    if (circuit.state === 'closed') return this.ticket(model, circuit, false);
    if (circuit.state === 'open') {
      if (now - circuit.openedAt < this.coolDownMs) return undefined;
      this.transition(model, circuit, 'half_open');
    } else if (this.probeInFlight(circuit, now)) {
      return undefined;
    }
    circuit.probeStartedAt = now;
    return this.ticket(model, circuit, true);
  }

  /**
   * Applies another instance's transition to this process's circuit, unless this one changed more recently. A
   * peer's open refuses the model here until `at + coolDownMs`, then this instance may probe it itself; a peer's
   * close closes it. Emits `breaker` (source 'peer') on a state change; never reported to `onTransition`.
   * Returns true when the circuit changed.
   */
  apply(model: string, transition: CircuitTransition): boolean {
    const { state, at } = transition;
    if ((state !== 'open' && state !== 'closed') || typeof at !== 'number' || !Number.isFinite(at)) return false;
    if (state === 'closed') {
      const circuit = this.circuits.get(model);
      if (!circuit || circuit.state === 'closed' || at < circuit.changedAt) return false;
      this.transition(model, circuit, 'closed', at, 'peer');
      return true;
    }
    const circuit = this.circuit(model);
    if (at < circuit.changedAt || (circuit.state === 'open' && at <= circuit.openedAt)) return false;
    if (circuit.state === 'open') {
      // Already open: only the cool-down moves (a peer's probe failed later); no state change to report.
      circuit.openedAt = circuit.changedAt = at;
      circuit.generation++;
      return true;
    }
    this.transition(model, circuit, 'open', at, 'peer');
    return true;
  }

  /**
   * Calls `listener` when this process opens a circuit (threshold reached, failed probe) or closes one (successful
   * probe, `reset`) — not for half-open, which is this process's own probe, nor for `apply`. Returns the
   * unsubscribe function. A listener that throws is ignored: sharing must never fail a request.
   */
  onTransition(listener: TransitionListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Plain-data view of every circuit that has seen traffic. */
  snapshot(): Record<string, CircuitSnapshot> {
    const out: Record<string, CircuitSnapshot> = {};
    for (const [model, { state, openedAt, probeStartedAt, breaker }] of this.circuits) {
      out[model] = { state, openedAt, probeStartedAt, counter: breaker.state };
    }
    return out;
  }

  /** Closes `model`'s circuit (or every circuit) by hand, e.g. after an operator fixed the upstream. */
  reset(model?: string): void {
    const models = model === undefined ? [...this.circuits.keys()] : [model];
    for (const name of models) {
      const circuit = this.circuits.get(name);
      if (!circuit) continue;
      circuit.breaker = this.createBreaker();
      if (circuit.state !== 'closed') this.transition(name, circuit, 'closed');
    }
  }

  private probeInFlight(circuit: Circuit, now: number): boolean {
    return circuit.probeStartedAt !== undefined && now - circuit.probeStartedAt < this.probeTimeoutMs;
  }

  private circuit(model: string): Circuit {
    if (typeof model !== 'string' || model === '') {
      throw new TypeError(`A circuit breaker needs a model id (got ${JSON.stringify(model)}).`);
    }
    let circuit = this.circuits.get(model);
    if (!circuit) {
      circuit = { state: 'closed', openedAt: 0, probeStartedAt: undefined, breaker: this.createBreaker(), generation: 0, changedAt: 0 };
      this.circuits.set(model, circuit);
    }
    return circuit;
  }

  private ticket(model: string, circuit: Circuit, probe: boolean): BreakerTicket {
    return new Ticket(model, circuit, probe, (to) => this.transition(model, circuit, to));
  }

  private transition(model: string, circuit: Circuit, to: BreakerState, at = this.clock.now(), source?: 'peer'): void {
    const from = circuit.state;
    circuit.state = to;
    circuit.generation++;
    circuit.probeStartedAt = undefined;
    circuit.changedAt = at;
    if (to === 'open') circuit.openedAt = at;
    if (to === 'closed') circuit.breaker = this.createBreaker();
    this.events?.emit('breaker', source === undefined ? { model, from, to } : { model, from, to, source });
    if (source === undefined && to !== 'half_open') this.notify(model, { state: to, at });
  }

  private notify(model: string, transition: CircuitTransition): void {
    for (const listener of this.listeners) {
      try {
        listener(model, transition);
      } catch {
        // A broken sharing hook must not fail the request that moved the circuit.
      }
    }
  }
}

/**
 * One attempt's right to use a circuit; its first verdict counts, and only while the circuit is in the state it was
 * issued in. A class rather than closures: one is made per request.
 */
class Ticket implements BreakerTicket {
  private readonly generation: number;
  private settled = false;

  constructor(
    readonly model: string,
    private readonly circuit: Circuit,
    readonly probe: boolean,
    private readonly transition: (to: BreakerState) => void,
  ) {
    this.generation = circuit.generation;
  }

  success(): void {
    if (!this.current()) return;
    if (this.probe) {
      this.circuit.breaker.success(CircuitState.HalfOpen);
      this.transition('closed');
    } else {
      this.circuit.breaker.success(CircuitState.Closed);
    }
  }

  failure(error: TogetherError): void {
    if (!behaviourOf(error).countsForBreaker) return this.release();
    if (!this.current()) return;
    if (this.probe) {
      this.circuit.breaker.failure(CircuitState.HalfOpen);
      this.transition('open');
    } else if (this.circuit.breaker.failure(CircuitState.Closed)) {
      this.transition('open');
    }
  }

  release(): void {
    if (!this.current()) return;
    if (this.probe) this.circuit.probeStartedAt = undefined;
  }

  private current(): boolean {
    if (this.settled || this.circuit.generation !== this.generation) return false;
    this.settled = true;
    return true;
  }
}
