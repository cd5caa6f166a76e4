// GET /v1/whoami: who the key belongs to (Together's TS SDK `client.whoami()`), the cheapest way to check a key.
// The ids are derived from the key's name, never from the key itself, so they are safe to log and compare.
import type { EmulatorKey } from '../config.js';
import { authenticate } from '../inference.js';
import { pause, resetConnection, sendError, sendJson } from '../http.js';
import type { Exchange } from '../http.js';
import type { Route } from '../router.js';
import type { EmulatorState } from '../state.js';

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'key';
}

/** The fields Together answers with: api_key_id, organization_*, project_*, user_id. */
export function whoamiBody(key: EmulatorKey): Record<string, string> {
  const name = slug(key.name);
  return {
    api_key_id: `ak_emulator_${name}`,
    organization_id: 'org_emulator',
    organization_name: 'tether emulator',
    project_id: 'proj_emulator_default',
    project_name: 'Default project',
    project_slug: 'default',
    user_id: `user_emulator_${name}`,
  };
}

async function whoami(state: EmulatorState, ex: Exchange): Promise<void> {
  const key = authenticate(state, ex);
  if (!key) return;
  // Like /v1/models, faults reach this path only when they name it (`path: "/v1/whoami"`).
  const plan = state.faults.beforeResponse({ path: ex.path, inference: false, key, stream: false });
  if (!(await pause(ex, plan.latencyMs))) return;
  if (plan.reset) return resetConnection(ex);
  if (plan.status) return sendError(ex, plan.status);
  sendJson(ex, 200, whoamiBody(key));
}

export function whoamiRoutes(state: EmulatorState): Route[] {
  return [{ method: 'GET', path: '/v1/whoami', handler: (ex) => whoami(state, ex) }];
}
