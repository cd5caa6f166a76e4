/**
 * 402 recovery without a restart. A key stopped by a 402 (billing-stop.ts) is probed after `probeIntervalMs` with one
 * cheap request (the caller's `probe`: a 1-token chat completion to the cheapest model) and resumes by itself when
 * the probe is answered; `resume` resumes it at once (an admin endpoint, `client.resetKey()`). With Redis, the stop
 * and the recovery are shared by every process on it (gateway replicas, `tether run` workers): a stop or a resume
 * is published on `<prefix>:events`; a process that sees a peer's stop stops the key at its next request; one
 * process probes per interval (a `SET NX` lock), and its success resumes every process.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { behaviourOf, peerStopError } from '../errors/index.js';
import type { TogetherError } from '../errors/index.js';
import type { BillingStop } from './billing-stop.js';
import { clampTimerMs } from './clock.js';
import { keyFingerprint } from './key-fingerprint.js';
import type { AttemptCall, AttemptEnd, Layer } from './layer.js';

/** What a probe found: credit is back, still none (402), or it could not tell (network, 5xx): try again later. */
export type ProbeOutcome = 'resumed' | 'still_stopped' | 'unknown';

export interface BillingRecoveryOptions {
  billing: BillingStop;
  /** Sends the one cheap request with `apiKey`. */
  probe(apiKey: string): Promise<ProbeOutcome>;
  /** How long after a stop (and between probes) a stopped key is probed. Default 60 s; `false`: never probed. */
  probeIntervalMs?: number | false | undefined;
  /** Share stops and resumes through Redis: a command client and one for SUBSCRIBE only (neither closed here). */
  redis?: { client: Redis; subscriber: Redis } | undefined;
  /** Default `tether:billing`. */
  keyPrefix?: string | undefined;
  /** Told of every resume (the key's fingerprint and why). */
  onResume?: ((fingerprint: string, why: 'probe' | 'admin' | 'peer') => void) | undefined;
}

export const DEFAULT_BILLING_PROBE_INTERVAL_MS = 60_000;

/** Keys remembered (fingerprint → key) so a peer's message, which carries only the fingerprint, can act here. */
const MAX_KEYS = 4096;

interface SharedMessage {
  by: string;
  fp: string;
  state: 'stopped' | 'resumed';
  message?: string;
}

export class BillingRecovery {
  private readonly keys = new Map<string, string>();
  /** Stops a peer published, not yet applied here (applied at the key's next request). */
  private readonly peerStops = new Map<string, string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly id = randomUUID();
  private readonly prefix: string;
  private readonly interval: number | false;
  private closed = false;

  constructor(private readonly options: BillingRecoveryOptions) {
    const interval = options.probeIntervalMs ?? DEFAULT_BILLING_PROBE_INTERVAL_MS;
    if (interval !== false && !(typeof interval === 'number' && Number.isFinite(interval) && interval > 0)) {
      throw new RangeError(`billingProbe.intervalMs must be a positive number of milliseconds or false (got ${String(interval)}).`);
    }
    this.interval = interval;
    this.prefix = options.keyPrefix ?? 'tether:billing';
    const shared = options.redis;
    if (shared !== undefined) {
      shared.subscriber.on('message', (channel: string, text: string) => {
        if (channel === this.channel) this.onPeer(text);
      });
      const subscribe = (): void => void shared.subscriber.subscribe(this.channel).catch(() => undefined);
      shared.subscriber.on('ready', subscribe);
      if (shared.subscriber.status === 'ready') subscribe();
    }
  }

  private get channel(): string {
    return `${this.prefix}:events`;
  }

  /** Remembers `apiKey` (a request is about to use it) and applies a peer's stop of it. */
  seen(apiKey: string): void {
    const fp = keyFingerprint(apiKey);
    if (!this.keys.has(fp) && this.keys.size < MAX_KEYS) this.keys.set(fp, apiKey);
    const message = this.peerStops.get(fp);
    if (message !== undefined && this.options.billing.check(apiKey) === undefined) {
      this.peerStops.delete(fp);
      this.options.billing.stop(apiKey, peerStopError(message));
      this.schedule(fp);
    }
  }

  /** This process stopped `apiKey` after a 402: share it, and probe it later. */
  stopped(apiKey: string, error: TogetherError): void {
    const fp = keyFingerprint(apiKey);
    if (!this.keys.has(fp) && this.keys.size < MAX_KEYS) this.keys.set(fp, apiKey);
    if (this.timers.has(fp)) return;
    this.publish({ by: this.id, fp, state: 'stopped', message: error.message });
    this.schedule(fp);
  }

  /** Resumes `apiKey` (every stopped key when undefined) here and, through Redis, everywhere. */
  resume(apiKey?: string, why: 'admin' | 'probe' = 'admin'): boolean {
    const fps = apiKey === undefined ? [...new Set([...this.timers.keys(), ...this.peerStops.keys()])] : [keyFingerprint(apiKey)];
    let any = apiKey === undefined ? this.options.billing.reset() : this.options.billing.reset(apiKey);
    for (const fp of fps) {
      any = this.resumeLocal(fp, why) || any;
      this.publish({ by: this.id, fp, state: 'resumed' });
    }
    return any;
  }

  private resumeLocal(fp: string, why: 'admin' | 'probe' | 'peer'): boolean {
    const timer = this.timers.get(fp);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(fp);
    const hadPeerStop = this.peerStops.delete(fp);
    const apiKey = this.keys.get(fp);
    const reset = apiKey !== undefined && this.options.billing.reset(apiKey);
    if (reset || hadPeerStop || timer !== undefined) this.options.onResume?.(fp, why);
    return reset || hadPeerStop;
  }

  private schedule(fp: string): void {
    if (this.interval === false || this.closed || this.timers.has(fp)) return;
    const timer = setTimeout(() => void this.probeNow(fp), clampTimerMs(this.interval));
    timer.unref();
    this.timers.set(fp, timer);
  }

  private async probeNow(fp: string): Promise<void> {
    this.timers.delete(fp);
    const apiKey = this.keys.get(fp);
    if (apiKey === undefined || this.closed || this.options.billing.check(apiKey) === undefined) return;
    // One process probes per interval; the others wait for its verdict (or probe next time, if it said nothing).
    if (this.options.redis !== undefined && this.interval !== false && this.options.redis.client.status === 'ready') {
      const won = await this.options.redis.client.set(`${this.prefix}:probe:${fp}`, this.id, 'PX', Math.max(1, Math.floor(this.interval * 0.9)), 'NX').catch(() => 'OK');
      if (won !== 'OK') {
        this.schedule(fp);
        return;
      }
    }
    let outcome: ProbeOutcome;
    try {
      outcome = await this.options.probe(apiKey);
    } catch {
      outcome = 'unknown';
    }
    if (this.closed) return;
    if (outcome === 'resumed') this.resume(apiKey, 'probe');
    else this.schedule(fp);
  }

  private publish(message: SharedMessage): void {
    const client = this.options.redis?.client;
    if (client === undefined || client.status !== 'ready') return;
    client.publish(this.channel, JSON.stringify(message)).catch(() => undefined);
  }

  private onPeer(text: string): void {
    let message: SharedMessage;
    try {
      message = JSON.parse(text) as SharedMessage;
    } catch {
      return;
    }
    if (message === null || typeof message !== 'object' || message.by === this.id || typeof message.fp !== 'string') return;
    if (message.state === 'stopped') {
      this.peerStops.set(message.fp, typeof message.message === 'string' ? message.message.slice(0, 500) : 'No credit left on this key.');
      // A peer's stop is applied here at once when this process knows the key; else at its first request.
      const apiKey = this.keys.get(message.fp);
      if (apiKey !== undefined) this.seen(apiKey);
    } else if (message.state === 'resumed') {
      this.resumeLocal(message.fp, 'peer');
    }
  }

  /** Stopped keys' fingerprints this process will probe. */
  probing(): string[] {
    return [...this.timers.keys()];
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}


/** Outside the billing-stop layer: remembers each key, applies peers' stops, and reports this process's 402 stops. */
export function billingRecoveryLayer<C extends AttemptCall, R>(recovery: BillingRecovery): Layer<C, R> {
  const reportStop = (end: AttemptEnd, call: C): void => {
    if (end.kind === 'failure' && behaviourOf(end.error).stopsKey === 'billing') recovery.stopped(call.apiKey, end.error);
  };
  return (next) => (call) => {
    recovery.seen(call.apiKey);
    call.onEnd(reportStop);
    return next(call);
  };
}
