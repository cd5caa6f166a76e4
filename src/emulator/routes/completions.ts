// POST /v1/completions: a prompt string, JSON or SSE.
import { countTextTokens } from '../../tokens/index.js';
import { sendError, sendJson } from '../http.js';
import type { Exchange } from '../http.js';
import { acceptRequest, admit, resolveModel, responseEnvelope, sendEventStream } from '../inference.js';
import { checkInferenceParams, requestedLogprobs } from '../inference-params.js';
import { completionChunks, completionResponse, usageBody } from '../responses.js';
import type { Route } from '../router.js';
import type { EmulatorState } from '../state.js';
import { completionBudget, generateChoices } from '../text-inference.js';
import { completionRequestSchema } from '../validate.js';
import { safetyModelCheck } from './chat.js';

const EXAMPLE = '{"model": "mistralai/Mixtral-8x7B-v0.1", "prompt": "Once upon a time"}';

async function completion(state: EmulatorState, ex: Exchange): Promise<void> {
  const accepted = await acceptRequest(state, ex, completionRequestSchema, EXAMPLE);
  if (!accepted) return;
  const { key, body } = accepted;
  const paramError = checkInferenceParams(body, { isSafetyModel: safetyModelCheck(state) });
  if (paramError) return sendError(ex, paramError);
  const model = resolveModel(state, ex, key, body.model, 'completion');
  if (!model) return;
  const counted = body.prompt ? (await countTextTokens(model.id, body.prompt)).tokens : 0;
  const budget = completionBudget(model.context_length, counted, body.max_tokens ?? undefined, 'error');
  if (!budget.ok) return sendError(ex, budget.error);
  const choices = await generateChoices({
    emulatorSeed: state.config.seed,
    model,
    prompt: body.prompt,
    n: body.n ?? 1,
    maxTokens: budget.maxTokens,
    stop: body.stop,
    requestSeed: body.seed,
  });
  const promptTokens = budget.promptTokens;
  const usage = usageBody(promptTokens, choices);
  const stream = body.stream === true;
  const admission = await admit(state, ex, { key, model, stream, promptTokens, completionTokens: usage.completion_tokens });
  if (!admission) return;
  const env = responseEnvelope(state, ex, '/v1/completions', body, model.id);
  const options = { logprobs: requestedLogprobs(body), echo: body.echo === true ? body.prompt : undefined };
  if (admission.streamPlan) await sendEventStream(ex, completionChunks(env, choices, usage, options), admission.streamPlan);
  else sendJson(ex, 200, completionResponse(env, choices, usage, options));
}

export function completionRoutes(state: EmulatorState): Route[] {
  return [{ method: 'POST', path: '/v1/completions', handler: (ex) => completion(state, ex) }];
}
