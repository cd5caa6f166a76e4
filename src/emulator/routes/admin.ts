// The admin surface under /_emulator/, for steering a running emulator from another process (the gateway's
// tests, the CLI, other languages). No auth: the emulator binds loopback by default.
import { z } from 'zod';
import { EmulatorConfigError, parseFaults } from '../config.js';
import type { FaultSpec } from '../config.js';
import { invalidRequest } from '../errors.js';
import { parseFaultSpec } from '../fault-spec.js';
import { readJsonBody, sendError, sendJson } from '../http.js';
import type { Exchange } from '../http.js';
import type { Route } from '../router.js';
import { findKey, resetState, startScenario, statsSnapshot } from '../state.js';
import { parseScenario } from '../scenario.js';
import type { EmulatorState } from '../state.js';

/** Admin bodies are small. */
const ADMIN_BODY_LIMIT = 1024 * 1024;

async function readBody(ex: Exchange, optional: boolean): Promise<{ value: unknown } | undefined> {
  const contentLength = Number(ex.req.headers['content-length'] ?? 0);
  if (optional && contentLength === 0 && !ex.req.headers['transfer-encoding']) {
    ex.req.resume();
    return { value: {} };
  }
  const read = await readJsonBody(ex, ADMIN_BODY_LIMIT);
  if (read.ok) return { value: read.value };
  if ('error' in read) sendError(ex, read.error);
  return undefined;
}

/** `[...]` or `{"faults": [...]}`; each item a FaultSpec object or a compact SPEC string. */
function faultsFromBody(value: unknown): FaultSpec[] {
  const list = Array.isArray(value) ? value : (value as { faults?: unknown } | null)?.faults;
  if (!Array.isArray(list)) throw new EmulatorConfigError('send a JSON array of faults, or {"faults": [...]}');
  return parseFaults(list.map((item: unknown) => (typeof item === 'string' ? parseFaultSpec(item) : item)));
}

const creditsBody = z.strictObject({ key: z.string().min(1), usd: z.number().min(0) });
const resetBody = z.strictObject({
  stats: z.boolean().optional(),
  limits: z.boolean().optional(),
  credits: z.boolean().optional(),
  faults: z.boolean().optional(),
  data: z.boolean().optional(),
});

export function adminRoutes(state: EmulatorState): Route[] {
  return [
    { method: 'GET', path: '/_emulator/health', handler: async (ex) => sendJson(ex, 200, { ok: true }) },
    { method: 'GET', path: '/_emulator/stats', handler: async (ex) => sendJson(ex, 200, statsSnapshot(state)) },
    { method: 'GET', path: '/_emulator/faults', handler: async (ex) => sendJson(ex, 200, { faults: state.faults.list() }) },
    {
      method: 'POST',
      path: '/_emulator/faults',
      handler: async (ex) => {
        const body = await readBody(ex, false);
        if (!body) return;
        try {
          state.faults.replace(faultsFromBody(body.value));
        } catch (error) {
          if (!(error instanceof EmulatorConfigError)) throw error;
          return sendError(ex, invalidRequest(`Invalid faults: ${error.message}`, 'faults'));
        }
        sendJson(ex, 200, { faults: state.faults.list() });
      },
    },
    { method: 'GET', path: '/_emulator/scenario', handler: async (ex) => sendJson(ex, 200, state.scenario.state()) },
    {
      // {"scenario": {...}} starts one now (replacing any), {"stop": true} stops it; the answer is its state.
      method: 'POST',
      path: '/_emulator/scenario',
      handler: async (ex) => {
        const body = await readBody(ex, false);
        if (!body) return;
        const value = body.value as { scenario?: unknown; stop?: unknown } | null;
        const keys = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
        if (keys.length === 1 && value?.stop === true) {
          state.scenario.stop();
          return sendJson(ex, 200, state.scenario.state());
        }
        if (keys.length !== 1 || value?.scenario === undefined) {
          return sendError(ex, invalidRequest('Send {"scenario": {"events": [...]}} to start a scenario now, or {"stop": true} to stop it (see docs/emulator-scenarios.md).'));
        }
        try {
          startScenario(state, parseScenario(value.scenario, 'scenario'));
        } catch (error) {
          if (!(error instanceof EmulatorConfigError)) throw error;
          return sendError(ex, invalidRequest(error.message, 'scenario'));
        }
        sendJson(ex, 200, state.scenario.state());
      },
    },
    {
      method: 'POST',
      path: '/_emulator/credits',
      handler: async (ex) => {
        const body = await readBody(ex, false);
        if (!body) return;
        const parsed = creditsBody.safeParse(body.value);
        if (!parsed.success) {
          return sendError(ex, invalidRequest('Send {"key": "<api key or key name>", "usd": <number >= 0>}.'));
        }
        const key = findKey(state, parsed.data.key);
        if (!key) return sendError(ex, invalidRequest('No configured key has that value or name.', 'key'));
        state.credits.set(key.key, parsed.data.usd);
        sendJson(ex, 200, { key: key.name, creditsUsd: parsed.data.usd });
      },
    },
    {
      method: 'POST',
      path: '/_emulator/reset',
      handler: async (ex) => {
        const body = await readBody(ex, true);
        if (!body) return;
        const parsed = resetBody.safeParse(body.value);
        if (!parsed.success) {
          return sendError(ex, invalidRequest('Send {} to reset everything, or name the parts to reset: {"stats", "limits", "credits", "faults", "data"} as booleans (parts left out are left alone).'));
        }
        sendJson(ex, 200, { ok: true, reset: resetState(state, parsed.data) });
      },
    },
  ];
}
