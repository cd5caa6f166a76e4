// After a 402 (no credit) on a key, nothing more is sent with that key until the caller resets it: every later
// request fails at once with the same billing error and costs no upstream call. Keys are held by fingerprint.
// Which failures stop a key is the failure table's `stopsKey` column (errors/behaviour.ts).
import { behaviourOf } from '../errors/index.js';
import type { TogetherError } from '../errors/index.js';
import { keyFingerprint } from './key-fingerprint.js';
import type { AttemptCall, AttemptEnd, Layer } from './layer.js';

export class BillingStop {
  private readonly stopped = new Map<string, TogetherError>();

  /** The billing error that stopped `apiKey`, or undefined when it may send. */
  check(apiKey: string): TogetherError | undefined {
    return this.stopped.size === 0 ? undefined : this.stopped.get(keyFingerprint(apiKey));
  }

  /** Stops `apiKey` with its first billing error (a later one does not replace it). */
  stop(apiKey: string, error: TogetherError): void {
    const id = keyFingerprint(apiKey);
    if (!this.stopped.has(id)) this.stopped.set(id, error);
  }

  /** Lets `apiKey` send again (every key when undefined); true when a key was stopped. */
  reset(apiKey?: string): boolean {
    if (apiKey === undefined) {
      const any = this.stopped.size > 0;
      this.stopped.clear();
      return any;
    }
    return this.stopped.delete(keyFingerprint(apiKey));
  }

  /** Fingerprints of the stopped keys. */
  keys(): string[] {
    return [...this.stopped.keys()];
  }
}

/**
 * The billing-stop layer: a stopped key fails at once, and a failure whose table row stops the key ('billing')
 * stops it when the attempt ends. `checkOnly` for its second place in an attempt (after pacing: a 402 may stop the
 * key while a request waits for budget).
 */
export function billingStopLayer<C extends AttemptCall, R>(billing: BillingStop, options: { checkOnly?: boolean } = {}): Layer<C, R> {
  const stopOnFailure = options.checkOnly !== true;
  const stopKey = (end: AttemptEnd, call: C): void => {
    if (end.kind === 'failure' && behaviourOf(end.error).stopsKey === 'billing') billing.stop(call.apiKey, end.error);
  };
  return (next) => (call) => {
    const stopped = billing.check(call.apiKey);
    if (stopped) return Promise.reject(stopped);
    if (stopOnFailure) call.onEnd(stopKey);
    return next(call);
  };
}
