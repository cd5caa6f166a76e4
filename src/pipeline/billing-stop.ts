// After a 402 (no credit) on a key, nothing more is sent with that key until the caller resets it: every later
// request fails at once with the same billing error and costs no upstream call. Keys are held by fingerprint.
import type { TogetherError } from '../errors/index.js';
import { keyFingerprint } from '../policy/index.js';

export class BillingStop {
  private readonly stopped = new Map<string, TogetherError>();

  /** The billing error that stopped `apiKey`, or undefined when it may send. */
  check(apiKey: string): TogetherError | undefined {
    return this.stopped.get(keyFingerprint(apiKey));
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
