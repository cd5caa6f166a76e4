// A circuit is per model and shared by every key, so an open one must not hide a failure that does not depend on
// the model: a client whose key is bad gets its 401, not another client's 503 `circuit_open`. This layer sits
// outside the circuit gate; when the gate refuses, a key never seen answered is checked with a request that does
// not touch the model (the caller supplies it: a model list), and an auth failure is thrown instead of the refusal.
import { isTogetherError } from '../errors/index.js';
import type { TogetherError } from '../errors/index.js';
import { CircuitRefusal } from './breaker-layer.js';
import { keyFingerprint } from './key-fingerprint.js';
import type { AttemptCall, Layer } from './layer.js';

/** Keys remembered as answered beyond this many are not added (the check then runs again: cheap, and rare). */
const MAX_KNOWN_KEYS = 4096;

export interface KeyCheckOptions {
  /** Checks `apiKey` without the refused model; resolves with its auth failure, or undefined when the key is good. */
  verify(apiKey: string, signal: AbortSignal): Promise<TogetherError | undefined>;
}

/** Upstream answered this key with something other than an auth failure: the key itself is good. */
function vouchesForKey(error: TogetherError | undefined): boolean {
  return error === undefined || error.category !== 'auth';
}

export function circuitKeyCheckLayer<C extends AttemptCall, R>(options: KeyCheckOptions): Layer<C, R> {
  const known = new Set<string>();
  const remember = (apiKey: string): void => {
    if (known.size < MAX_KNOWN_KEYS) known.add(keyFingerprint(apiKey));
  };
  const checked = async (next: (call: C) => Promise<R>, call: C): Promise<R> => {
    call.onEnd((end) => {
      if (end.kind === 'success' || (end.kind === 'failure' && vouchesForKey(end.error))) remember(call.apiKey);
    });
    try {
      return await next(call);
    } catch (thrown) {
      if (!(thrown instanceof CircuitRefusal) || known.has(keyFingerprint(call.apiKey))) throw thrown;
      let authFailure: TogetherError | undefined;
      try {
        authFailure = await options.verify(call.apiKey, call.signal);
      } catch (error) {
        // The check itself failed (network): the refusal stands, the key stays unverified.
        if (isTogetherError(error) && error.category === 'auth') authFailure = error;
      }
      if (authFailure !== undefined) throw authFailure;
      remember(call.apiKey);
      throw thrown;
    }
  };
  // A key already answered for has nothing left to prove: its attempts pass straight through (the usual case).
  return (next) => (call) => (known.has(keyFingerprint(call.apiKey)) ? next(call) : checked(next, call));
}
