// The chat answer shared by live requests (routes/chat.ts) and batch lines (batches-process.ts): prompt tokens
// counted with the real tokenizer, the completion budget against the context, and the generated choices.
import { countChatTokens } from '../tokens/index.js';
import type { ChatMessageLike } from '../tokens/index.js';
import type { EmulatorModel } from './catalog.js';
import type { EmulatorError } from './errors.js';
import type { GeneratedText } from './generate.js';
import { completionBudget, generateChoices } from './text-inference.js';
import type { ChatRequest } from './validate.js';

export type ChatGeneration =
  | { ok: true; promptTokens: number; choices: GeneratedText[] }
  | { ok: false; error: EmulatorError };

function messageLike(m: ChatRequest['messages'][number]): ChatMessageLike {
  return {
    role: m.role,
    content: m.content ?? undefined,
    ...(m.name ? { name: m.name } : {}),
    ...(m.tool_calls ? { tool_calls: m.tool_calls } : {}),
    ...(m.tool_call_id ? { tool_call_id: m.tool_call_id } : {}),
  };
}

export async function generateChat(emulatorSeed: number, model: EmulatorModel, body: ChatRequest): Promise<ChatGeneration> {
  const messages = body.messages.map(messageLike);
  const promptTokens = (await countChatTokens(model.id, messages)).tokens;
  const budget = completionBudget(model.context_length, promptTokens, body.max_tokens ?? undefined, body.context_length_exceeded_behavior ?? 'error');
  if (!budget.ok) return budget;
  const choices = await generateChoices({
    emulatorSeed,
    model,
    prompt: JSON.stringify(messages.map((m) => [m.role, m.content ?? null])),
    n: body.n ?? 1,
    maxTokens: budget.maxTokens,
    stop: body.stop,
    requestSeed: body.seed,
    json: body.response_format?.type === 'json_object' || body.response_format?.type === 'json_schema',
  });
  return { ok: true, promptTokens, choices };
}
