// POST /v1/chat/completions: JSON or SSE.
import { generateChat } from '../chat-generation.js';
import { sendError, sendJson } from '../http.js';
import type { Exchange } from '../http.js';
import { acceptRequest, admit, resolveModel, responseEnvelope, sendEventStream } from '../inference.js';
import { checkInferenceParams, requestedLogprobs } from '../inference-params.js';
import { chatChunks, chatResponse, usageBody } from '../responses.js';
import type { Route } from '../router.js';
import type { EmulatorState } from '../state.js';
import { chatRequestSchema } from '../validate.js';

const EXAMPLE = '{"model": "meta-llama/Llama-3.3-70B-Instruct-Turbo", "messages": [{"role": "user", "content": "Hello"}]}';

/** A serverless moderation model: what `safety_model` may name. */
export function safetyModelCheck(state: EmulatorState): (id: string) => boolean {
  return (id) => {
    const found = state.catalog.lookup(id);
    return found.kind === 'serverless' && found.model.type === 'moderation';
  };
}

async function chatCompletion(state: EmulatorState, ex: Exchange): Promise<void> {
  const accepted = await acceptRequest(state, ex, chatRequestSchema, EXAMPLE);
  if (!accepted) return;
  const { key, body } = accepted;
  const paramError = checkInferenceParams(body, { isSafetyModel: safetyModelCheck(state) });
  if (paramError) return sendError(ex, paramError);
  const model = resolveModel(state, ex, key, body.model, 'chat');
  if (!model) return;
  const generated = await generateChat(state.config.seed, model, body);
  if (!generated.ok) return sendError(ex, generated.error);
  const { promptTokens, choices } = generated;
  const usage = usageBody(promptTokens, choices);
  const stream = body.stream === true;
  const admission = await admit(state, ex, { key, model, stream, promptTokens, completionTokens: usage.completion_tokens });
  if (!admission) return;
  const env = responseEnvelope(state, ex, '/v1/chat/completions', body, model.id);
  const options = { logprobs: requestedLogprobs(body), echo: body.echo === true ? generated.promptText : undefined };
  if (admission.streamPlan) await sendEventStream(ex, chatChunks(env, choices, usage, options), admission.streamPlan);
  else sendJson(ex, 200, chatResponse(env, choices, usage, options));
}

export function chatRoutes(state: EmulatorState): Route[] {
  return [{ method: 'POST', path: '/v1/chat/completions', handler: (ex) => chatCompletion(state, ex) }];
}
