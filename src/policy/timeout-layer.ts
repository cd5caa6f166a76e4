// The timeout layer of an attempt: an attempt scope (attempt timeout, idle timeout between stream chunks, the
// request's own signal) narrows the call's signal, and is cleared when the attempt really ends.
import type { AttemptCall, Layer } from './layer.js';
import { createAttemptScope } from './timeout.js';
import type { AttemptScope } from './timeout.js';

export type TimedCall = AttemptCall & { attemptTimeoutMs: number; idleTimeoutMs: number; scope?: AttemptScope | undefined };

export function timeoutLayer<C extends TimedCall, R>(): Layer<C, R> {
  return (next) => (call) => {
    const scope = createAttemptScope({ signal: call.signal, attemptTimeoutMs: call.attemptTimeoutMs, idleTimeoutMs: call.idleTimeoutMs, model: call.model });
    call.scope = scope;
    call.signal = scope.signal;
    call.onEnd(() => scope.done());
    return next(call);
  };
}
