// The checks every Files and Fine-tuning API request passes before its own logic: the Bearer key, then the
// faults that name the request's exact path (as for GET /v1/models). Inference limits and credits do not apply.
import type { EmulatorKey } from '../config.js';
import { pause, resetConnection, sendError } from '../http.js';
import type { Exchange } from '../http.js';
import { authenticate } from '../inference.js';
import type { EmulatorState } from '../state.js';

/** The caller's key, or undefined once an answer (401, an injected fault) has been sent and the body dropped. */
export async function admitApiRequest(state: EmulatorState, ex: Exchange): Promise<EmulatorKey | undefined> {
  const key = authenticate(state, ex);
  if (!key) {
    ex.req.resume(); // drop any upload so the client can read the 401
    return undefined;
  }
  const plan = state.faults.beforeResponse({ path: ex.path, inference: false, key, stream: false });
  if (!(await pause(ex, plan.latencyMs))) return undefined;
  if (plan.reset) {
    resetConnection(ex);
    return undefined;
  }
  if (plan.status) {
    ex.req.resume();
    sendError(ex, plan.status);
    return undefined;
  }
  return key;
}
