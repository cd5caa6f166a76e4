// The timeout layer of an attempt: an attempt scope (attempt timeout, idle timeout between stream chunks, the
// request's own signal) narrows the call's signal, and is cleared when the attempt really ends.
import type { AttemptCall, Layer } from './layer.js';
import { createAttemptScope } from './timeout.js';
import type { AttemptScope } from './timeout.js';

export type TimedCall = AttemptCall & { attemptTimeoutMs: number; idleTimeoutMs: number; scope?: AttemptScope | undefined };

/** Made once: the scope is on the call. */
function endScope(_end: unknown, call: TimedCall): void {
  call.scope?.done();
}

export function timeoutLayer<C extends TimedCall, R>(): Layer<C, R> {
  return (next) => (call) => {
    const scope = createAttemptScope({ signal: call.signal, attemptTimeoutMs: call.attemptTimeoutMs, idleTimeoutMs: call.idleTimeoutMs, model: call.model });
    call.scope = scope;
    call.signal = scope.signal;
    call.onEnd(endScope);
    return next(call);
  };
}
