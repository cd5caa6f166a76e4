// The classification layer of an attempt: whatever the transport throws leaves the attempt as a TogetherError —
// an abort (caller, deadline, attempt timeout) as its reason, anything else by the network table. A plain
// function of the layer shape (policy/layer.ts), declared here so the errors module imports nothing above it.
import { abortError } from './factories.js';
import { classifyNetworkError } from './network.js';
import { isTogetherError } from './together-error.js';

type Send<C, R> = (call: C) => Promise<R>;

export function classificationLayer<C extends { signal: AbortSignal; model: string }, R>(): (next: Send<C, R>) => Send<C, R> {
  return (next) => async (call) => {
    try {
      return await next(call);
    } catch (error) {
      if (isTogetherError(error)) throw error;
      throw call.signal.aborted ? abortError(call.signal.reason, call.model) : classifyNetworkError(error, { model: call.model });
    }
  };
}
