// The circuit-breaker layers of an attempt: the gate refuses a model whose circuit is open before the attempt
// waits for anything; the ticket, taken right before sending, is settled when the attempt really ends (a stream:
// when it is read to the end), counting the failure only when the failure table says it speaks of the model.
import type { BreakerRegistry, BreakerTicket } from './breaker.js';
import type { AttemptCall, AttemptEnd, Layer } from './layer.js';

/** The model's circuit refused the attempt: not an error of the request, a reason to go to the next model. */
export class CircuitRefusal extends Error {
  override readonly name = 'CircuitRefusal';
  constructor(readonly model: string) {
    super(`The circuit of ${model} is open`);
  }
}

/** Refuses at once when the model's circuit is open. */
export function circuitGateLayer<C extends AttemptCall, R>(breakers: BreakerRegistry): Layer<C, R> {
  return (next) => (call) => {
    if (breakers.isOpen(call.model)) return Promise.reject(new CircuitRefusal(call.model));
    return next(call);
  };
}

/** Takes the model's breaker ticket (the one probe while half-open) and settles it at the attempt's end. */
/** An attempt holding a breaker ticket (the ticket layer keeps it on the call for the attempt's end). */
type TicketedCall = AttemptCall & { breakerTicket?: BreakerTicket | undefined };

/** Made once: the ticket is on the call. */
function settleTicket(end: AttemptEnd, call: TicketedCall): void {
  const ticket = call.breakerTicket;
  if (ticket === undefined) return;
  if (end.kind === 'success') ticket.success();
  else if (end.kind === 'failure') ticket.failure(end.error);
  else ticket.release();
}

export function circuitTicketLayer<C extends TicketedCall, R>(breakers: BreakerRegistry): Layer<C, R> {
  return (next) => (call) => {
    const ticket = breakers.acquire(call.model);
    if (!ticket) return Promise.reject(new CircuitRefusal(call.model));
    call.circuit = ticket.probe ? 'half_open' : 'closed';
    call.breakerTicket = ticket;
    call.onEnd(settleTicket);
    return next(call);
  };
}
