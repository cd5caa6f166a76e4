// Fault injection decisions. Each fault draws from its own PRNG (seeded by the emulator seed and the fault's
// position), so a given seed and request sequence always injects the same faults, and adding one fault does
// not change when another fires.
import { injectedStatus } from './errors.js';
import type { EmulatorError } from './errors.js';
import type { EmulatorKey, FaultKind, FaultSpec } from './config.js';
import { seededRandom } from './prng.js';
import type { Random } from './prng.js';

export interface FaultContext {
  path: string;
  /** true for chat, completions and embeddings. */
  inference: boolean;
  model?: string | undefined;
  key?: EmulatorKey | undefined;
  stream: boolean;
}

export interface PreResponsePlan {
  latencyMs: number;
  reset: boolean;
  status?: EmulatorError;
  /** Hold a non-streaming request without ever answering. */
  stall: boolean;
}

export interface StreamPlan {
  /** Destroy the socket after this many chunks (no [DONE]). */
  cutAfter?: number;
  /** Stop writing after this many chunks, leaving the socket open. */
  stallAfter?: number;
  chunkDelayMs: number;
}

interface ArmedFault {
  spec: FaultSpec;
  random: Random;
}

function matches(spec: FaultSpec, ctx: FaultContext): boolean {
  if ('model' in spec && spec.model !== undefined && spec.model !== ctx.model) return false;
  if (spec.key !== undefined && spec.key !== ctx.key?.key && spec.key !== ctx.key?.name) return false;
  if ('path' in spec && spec.path !== undefined) return spec.path === ctx.path;
  return ctx.inference;
}

function customBody(spec: Extract<FaultSpec, { kind: 'status' }>): EmulatorError {
  const base = injectedStatus(spec.status);
  if (typeof spec.body === 'string') return { ...base, error: { ...base.error, message: spec.body } };
  if (spec.body) return { ...base, rawBody: spec.body };
  return base;
}

export class FaultEngine {
  private armed: ArmedFault[] = [];
  /** Requests seen per credits fault and key; a fault fires once per key. */
  private creditCounts = new Map<number, Map<string, number>>();
  private injected = new Map<FaultKind, number>();

  constructor(
    private readonly seed: number,
    faults: readonly FaultSpec[],
  ) {
    this.replace(faults);
  }

  /** Replace every fault; their PRNGs and counters start over. */
  replace(faults: readonly FaultSpec[]): void {
    this.armed = faults.map((spec, index) => ({ spec, random: seededRandom(this.seed, 'fault', index, spec.kind) }));
    this.creditCounts = new Map();
  }

  list(): FaultSpec[] {
    return this.armed.map((a) => a.spec);
  }

  /** Faults injected so far, by kind. */
  counts(): Partial<Record<FaultKind, number>> {
    return Object.fromEntries(this.injected);
  }

  resetCounts(): void {
    this.injected.clear();
  }

  private note(kind: FaultKind): void {
    this.injected.set(kind, (this.injected.get(kind) ?? 0) + 1);
  }

  /** Draw once for a matching fault: fires with probability `rate` (default 1). */
  private fires(fault: ArmedFault, rate: number | undefined): boolean {
    return fault.random() < (rate ?? 1);
  }

  /** Latency, reset, status and (non-stream) stall decisions, made before anything is sent. */
  beforeResponse(ctx: FaultContext): PreResponsePlan {
    const plan: PreResponsePlan = { latencyMs: 0, reset: false, stall: false };
    for (const fault of this.armed) {
      const spec = fault.spec;
      if (!matches(spec, ctx)) continue;
      if (spec.kind === 'latency' && spec.afterWork === true) continue; // see afterWork()
      if (spec.kind === 'latency' && this.fires(fault, spec.rate)) {
        plan.latencyMs += spec.ms + Math.floor(fault.random() * (spec.jitterMs ?? 0));
        this.note('latency');
      } else if (spec.kind === 'reset' && !plan.reset && this.fires(fault, spec.rate)) {
        plan.reset = true;
        this.note('reset');
      } else if (spec.kind === 'status' && !plan.status && this.fires(fault, spec.rate)) {
        plan.status = customBody(spec);
        this.note('status');
      } else if (spec.kind === 'stall' && !ctx.stream && !plan.stall && this.fires(fault, spec.rate)) {
        plan.stall = true;
        this.note('stall');
      }
    }
    return plan;
  }

  /** The delay of `afterWork` latency faults: a creation route has made its object, and then answers late. */
  afterWork(ctx: FaultContext): number {
    let latencyMs = 0;
    for (const fault of this.armed) {
      const spec = fault.spec;
      if (spec.kind !== 'latency' || spec.afterWork !== true || !matches(spec, ctx) || !this.fires(fault, spec.rate)) continue;
      latencyMs += spec.ms + Math.floor(fault.random() * (spec.jitterMs ?? 0));
      this.note('latency');
    }
    return latencyMs;
  }

  /**
   * Count one admitted request against the credits faults; true when one fires now (its key has made more
   * than `afterRequests` requests), which spends the key's credits.
   */
  creditsRunOut(ctx: FaultContext): boolean {
    let fired = false;
    this.armed.forEach((fault, index) => {
      const spec = fault.spec;
      if (spec.kind !== 'credits' || !ctx.key || !matches(spec, ctx)) return;
      const perKey = this.creditCounts.get(index) ?? new Map<string, number>();
      this.creditCounts.set(index, perKey);
      const seen = (perKey.get(ctx.key.key) ?? 0) + 1;
      perKey.set(ctx.key.key, seen);
      if (seen === spec.afterRequests + 1) {
        fired = true;
        this.note('credits');
      }
    });
    return fired;
  }

  /** How a stream is disturbed: cut, stalled, slowed. */
  streamPlan(ctx: FaultContext): StreamPlan {
    const plan: StreamPlan = { chunkDelayMs: 0 };
    for (const fault of this.armed) {
      const spec = fault.spec;
      if (!matches(spec, ctx)) continue;
      if (spec.kind === 'stream_cut' && plan.cutAfter === undefined && this.fires(fault, spec.rate)) {
        plan.cutAfter = spec.afterChunks;
        this.note('stream_cut');
      } else if (spec.kind === 'stall' && plan.stallAfter === undefined && this.fires(fault, spec.rate)) {
        plan.stallAfter = spec.afterChunks ?? 0;
        this.note('stall');
      } else if (spec.kind === 'slow_stream') {
        plan.chunkDelayMs = Math.max(plan.chunkDelayMs, spec.chunkDelayMs);
        this.note('slow_stream');
      }
    }
    return plan;
  }
}
