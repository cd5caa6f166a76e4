// POST /v1/chat/completions: JSON or SSE.
import { countChatTokens } from '../../tokens/index.js';
import type { ChatMessageLike } from '../../tokens/index.js';
import { sendError, sendJson } from '../http.js';
import type { Exchange } from '../http.js';
import { acceptRequest, admit, resolveModel, responseEnvelope, sendEventStream } from '../inference.js';
import { chatChunks, chatResponse, usageBody } from '../responses.js';
import type { Route } from '../router.js';
import type { EmulatorState } from '../state.js';
import { completionBudget, generateChoices } from '../text-inference.js';
import { chatRequestSchema } from '../validate.js';
import type { ChatRequest } from '../validate.js';

const EXAMPLE = '{"model": "meta-llama/Llama-3.3-70B-Instruct-Turbo", "messages": [{"role": "user", "content": "Hello"}]}';

function messageLike(m: ChatRequest['messages'][number]): ChatMessageLike {
  return {
    role: m.role,
    content: m.content ?? undefined,
    ...(m.name ? { name: m.name } : {}),
    ...(m.tool_calls ? { tool_calls: m.tool_calls } : {}),
    ...(m.tool_call_id ? { tool_call_id: m.tool_call_id } : {}),
  };
}

async function chatCompletion(state: EmulatorState, ex: Exchange): Promise<void> {
  const accepted = await acceptRequest(state, ex, chatRequestSchema, EXAMPLE);
  if (!accepted) return;
  const { key, body } = accepted;
  const model = resolveModel(state, ex, key, body.model, 'chat');
  if (!model) return;
  const messages = body.messages.map(messageLike);
  const promptTokens = (await countChatTokens(model.id, messages)).tokens;
  const budget = completionBudget(model.context_length, promptTokens, body.max_tokens ?? undefined, body.context_length_exceeded_behavior ?? 'error');
  if (!budget.ok) return sendError(ex, budget.error);
  const choices = await generateChoices({
    emulatorSeed: state.config.seed,
    model,
    prompt: JSON.stringify(messages.map((m) => [m.role, m.content ?? null])),
    n: body.n ?? 1,
    maxTokens: budget.maxTokens,
    stop: body.stop,
    requestSeed: body.seed,
    json: body.response_format?.type === 'json_object' || body.response_format?.type === 'json_schema',
  });
  const usage = usageBody(promptTokens, choices);
  const stream = body.stream === true;
  const admission = await admit(state, ex, { key, model, stream, promptTokens, completionTokens: usage.completion_tokens });
  if (!admission) return;
  const env = responseEnvelope(state, ex, '/v1/chat/completions', body, model.id);
  if (admission.streamPlan) await sendEventStream(ex, chatChunks(env, choices, usage), admission.streamPlan);
  else sendJson(ex, 200, chatResponse(env, choices, usage));
}

export function chatRoutes(state: EmulatorState): Route[] {
  return [{ method: 'POST', path: '/v1/chat/completions', handler: (ex) => chatCompletion(state, ex) }];
}
