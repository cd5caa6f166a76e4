// The classification layer of an attempt: whatever the transport throws leaves the attempt as a TogetherError —
// an abort (caller, deadline, attempt timeout) as its reason, anything else by the network table. A plain
// function of the layer shape (policy/layer.ts), declared here so the errors module imports nothing above it.
import { abortError } from './factories.js';
import { classifyNetworkError } from './network.js';
import { isTogetherError } from './together-error.js';

type Send<C, R> = (call: C) => Promise<R>;

export function classificationLayer<C extends { signal: AbortSignal; model: string }, R>(): (next: Send<C, R>) => Send<C, R> {
  // A handler on the promise rather than an async function around it: one promise fewer per attempt.
  return (next) => (call) => {
    let sent: Promise<R>;
    try {
      sent = next(call);
    } catch (error) {
      sent = Promise.reject(error); // an inner layer that threw at once is classified the same
    }
    return sent.catch((error: unknown) => {
      if (isTogetherError(error)) throw error;
      throw call.signal.aborted ? abortError(call.signal.reason, call.model) : classifyNetworkError(error, { model: call.model });
    });
  };
}
