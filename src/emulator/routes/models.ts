// GET /v1/models: a bare array of ModelInfo (not `{data: [...]}`), as Together answers.
import { sendJson } from '../http.js';
import type { Exchange } from '../http.js';
import { authenticate } from '../inference.js';
import { pause, resetConnection, sendError } from '../http.js';
import type { Route } from '../router.js';
import type { EmulatorState } from '../state.js';

async function listModels(state: EmulatorState, ex: Exchange): Promise<void> {
  const key = authenticate(state, ex);
  if (!key) return;
  // Faults reach this path only when they name it (`path: "/v1/models"`).
  const plan = state.faults.beforeResponse({ path: ex.path, inference: false, key, stream: false });
  if (!(await pause(ex, plan.latencyMs))) return;
  if (plan.reset) return resetConnection(ex);
  if (plan.status) return sendError(ex, plan.status);
  sendJson(ex, 200, state.catalog.list());
}

export function modelRoutes(state: EmulatorState): Route[] {
  return [{ method: 'GET', path: '/v1/models', handler: (ex) => listModels(state, ex) }];
}
