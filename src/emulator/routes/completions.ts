// POST /v1/completions: a prompt string, JSON or SSE.
import { countTextTokens } from '../../tokens/index.js';
import { sendError, sendJson } from '../http.js';
import type { Exchange } from '../http.js';
import { acceptRequest, admit, resolveModel, responseEnvelope, sendEventStream } from '../inference.js';
import { completionChunks, completionResponse, usageBody } from '../responses.js';
import type { Route } from '../router.js';
import type { EmulatorState } from '../state.js';
import { completionBudget, generateChoices } from '../text-inference.js';
import { completionRequestSchema } from '../validate.js';

const EXAMPLE = '{"model": "mistralai/Mixtral-8x7B-v0.1", "prompt": "Once upon a time"}';

async function completion(state: EmulatorState, ex: Exchange): Promise<void> {
  const accepted = await acceptRequest(state, ex, completionRequestSchema, EXAMPLE);
  if (!accepted) return;
  const { key, body } = accepted;
  const model = resolveModel(state, ex, key, body.model, 'completion');
  if (!model) return;
  const promptTokens = body.prompt ? (await countTextTokens(model.id, body.prompt)).tokens : 0;
  const budget = completionBudget(model.context_length, promptTokens, body.max_tokens ?? undefined, 'error');
  if (!budget.ok) return sendError(ex, budget.error);
  const choices = await generateChoices({
    emulatorSeed: state.config.seed,
    model,
    prompt: body.prompt,
    n: body.n ?? 1,
    maxTokens: budget.maxTokens,
    stop: body.stop,
    requestSeed: body.seed,
    json: false,
  });
  const usage = usageBody(promptTokens, choices);
  const stream = body.stream === true;
  const admission = await admit(state, ex, { key, model, stream, promptTokens, completionTokens: usage.completion_tokens });
  if (!admission) return;
  const env = responseEnvelope(state, ex, '/v1/completions', body, model.id);
  if (admission.streamPlan) await sendEventStream(ex, completionChunks(env, choices, usage), admission.streamPlan);
  else sendJson(ex, 200, completionResponse(env, choices, usage));
}

export function completionRoutes(state: EmulatorState): Route[] {
  return [{ method: 'POST', path: '/v1/completions', handler: (ex) => completion(state, ex) }];
}
