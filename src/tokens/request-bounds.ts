// Upper bounds on a request's tokens before it is sent, from its body alone: the prompt as an upper bound on its
// text (UTF-8 bytes of the text fields, plus room for a chat template's preamble), the completion as max_tokens × n.
// Used for worst-case costs (the batch runner's --max-cost, the spend budgets' reservations).
import { upperBoundTokens } from './bound.js';

/** Room for what a chat template adds around the messages (the largest shipped preamble is under 100 tokens). */
export const TEMPLATE_TOKENS = 128;

/** A request body as far as its token bounds go. */
export interface BoundedBody {
  messages?: unknown;
  prompt?: unknown;
  input?: unknown;
  max_tokens?: unknown;
  n?: unknown;
}

/** Upper bounds on one request's tokens: prompt (with template room) and completion (max_tokens × n; 0 when unset). */
export function tokenBounds(request: { body: BoundedBody }): { prompt: number; completion: number } {
  const body = request.body;
  const prompt = body.messages ?? body.prompt ?? body.input ?? '';
  const promptTokens = upperBoundTokens(typeof prompt === 'string' ? prompt : JSON.stringify(prompt)) + TEMPLATE_TOKENS;
  const maxTokens = typeof body.max_tokens === 'number' && body.max_tokens > 0 ? body.max_tokens : 0;
  return { prompt: promptTokens, completion: maxTokens * choicesOf(body) };
}

/** How many completions the request asks for (`n`, default 1). */
export function choicesOf(body: BoundedBody): number {
  return typeof body.n === 'number' && body.n > 1 ? Math.floor(body.n) : 1;
}
