// Stage 3: will the prompt plus max_tokens fit the model's context? Decided before anything is sent.
//
// Cost: a cheap upper bound (UTF-8 bytes of the rendered chat, no tokenizer) is tried first; only when the bound
// does not fit is the prompt tokenized exactly with the model family's tokenizer. Requests that clearly fit — nearly
// all of them — never pay for tokenization (bench/pacing.ts prints both costs).
//
// When max_tokens is absent, Together lets the completion run to the end of the context, so the request fits as
// long as the prompt leaves room for one token; that is what is checked (and 'clamp' has nothing to lower). The
// rate budget is then charged the prompt plus `assumedCompletionTokens` (see budgetTokens).
//
// A count that is not exact (no tokenizer for the model: a byte-based estimate) never stops a request: it can be
// several times the real count, so refusing on it would refuse requests Together accepts. Such a request is sent
// and an upstream context-length error, if any, is handled like any other failure.
import { countChatTokens, countTextTokens, renderChat, upperBoundChatTokens, upperBoundTokens } from '../tokens/index.js';
import type { ChatMessageLike } from '../tokens/index.js';
import type { CheckedBody } from './check-body.js';
import type { OverflowFacts } from './errors.js';
import { truncateChat } from './truncate.js';
import type { Truncation } from './truncate.js';

/** What the preflight learned about one request on one model. */
export interface TokenPlan {
  /** The prompt's tokens: exact when `counted` and `exact`, else an upper bound. */
  promptTokens: number;
  /** Whether the tokenizer ran (false: the cheap bound already showed the request fits). */
  counted: boolean;
  exact: boolean;
  /** max_tokens as the body will carry it (after a clamp), undefined when absent. */
  maxTokens: number | undefined;
  /** Set when 'clamp' lowered max_tokens: the caller's value. */
  clampedFrom?: number;
  /** Set when 'truncate' dropped or cut messages: the messages to send and the counts. */
  truncation?: Truncation;
}

/** How preflight treats a request over the context: true or 'clamp' lowers max_tokens, 'truncate' cuts the chat. */
export type PreflightMode = boolean | 'clamp' | 'truncate';

export type PreflightResult = { fits: true; plan: TokenPlan } | { fits: false; facts: OverflowFacts; plan: TokenPlan };

function textsOf(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}

/** A bound that never under-counts (Infinity when there is none we trust: tool definitions). */
export function promptBound(checked: CheckedBody): number {
  switch (checked.endpoint) {
    case 'chat':
      if (checked.body.tools !== undefined) return Infinity;
      return upperBoundChatTokens(checked.body.messages as ChatMessageLike[]);
    case 'completions':
      return textsOf(checked.body.prompt).reduce((sum, text) => sum + upperBoundTokens(text), 0);
    case 'embeddings':
      return textsOf(checked.body.input).reduce((sum, text) => sum + upperBoundTokens(text), 0);
    default:
      return 0; // images, rerank, audio: no prompt counted against a context
  }
}

/** The exact count with the model family's tokenizer (or its documented estimate where there is none). */
export async function countPrompt(checked: CheckedBody, model: string): Promise<{ tokens: number; exact: boolean }> {
  switch (checked.endpoint) {
    case 'chat': {
      const options = checked.body.tools === undefined ? {} : { tools: checked.body.tools };
      const count = await countChatTokens(model, checked.body.messages as ChatMessageLike[], options);
      return { tokens: count.tokens, exact: count.exact };
    }
    case 'completions':
    case 'embeddings': {
      const texts = textsOf(checked.endpoint === 'completions' ? checked.body.prompt : checked.body.input);
      let tokens = 0;
      let exact = true;
      for (const text of texts) {
        const count = await countTextTokens(model, text);
        tokens += count.tokens;
        exact &&= count.exact;
      }
      return { tokens, exact };
    }
    default:
      return { tokens: 0, exact: true };
  }
}

/**
 * Bytes of prompt per context token past which the prompt is first counted on a prefix only. Counting costs ~0.5 µs a
 * byte (1.5 for CJK): a 10 MiB prompt, which can never fit any context, took 5–15 s of tokenizer time to be refused
 * with its exact count. Prose runs 3–4.5 bytes a token, so a prefix of 8 bytes per context token already holds about
 * twice the context; only very repetitive text (long runs of spaces) needs the whole count after it.
 */
export const PREFIX_BYTES_PER_TOKEN = 8;

/** The index to cut `text` at, at most `max`: before a space that follows a non-space (a token boundary). */
function cutIndex(text: string, max: number): number {
  for (let at = max; at > 0; at--) if (text.charCodeAt(at) === 0x20 && text.charCodeAt(at - 1) !== 0x20) return at;
  return max;
}

/**
 * The exact tokens of the prompt's first `maxChars` characters (cut at a token boundary), a lower bound on the
 * prompt's own count; undefined when there is no exact tokenizer or template for the model (the caller counts whole).
 */
export async function countPromptPrefix(checked: CheckedBody, model: string, maxChars: number): Promise<{ tokens: number; chars: number } | undefined> {
  let text: string;
  if (checked.endpoint === 'chat') {
    try {
      text = renderChat(model, checked.body.messages as ChatMessageLike[], checked.body.tools === undefined ? {} : { tools: checked.body.tools });
    } catch {
      return undefined;
    }
  } else if (checked.endpoint === 'completions') text = textsOf(checked.body.prompt).join(' ');
  else return undefined;
  if (text.length <= maxChars) return undefined;
  const prefix = text.slice(0, cutIndex(text, maxChars));
  const count = await countTextTokens(model, prefix);
  return count.exact ? { tokens: count.tokens, chars: prefix.length } : undefined;
}

function maxTokensOf(checked: CheckedBody): number | undefined {
  return checked.endpoint === 'chat' || checked.endpoint === 'completions' ? checked.body.max_tokens : undefined;
}

/** Endpoints checked against the model's context: chat and completions (embeddings and media models truncate or refuse on their own terms). */
function checksContext(checked: CheckedBody): boolean {
  return checked.endpoint === 'chat' || checked.endpoint === 'completions';
}

/**
 * Checks `checked` against a model's context. 'clamp' lowers max_tokens to what is left when the prompt itself
 * fits; anything else that does not fit comes back as `fits: false` with the exact numbers, for the caller to
 * stop or fall back on. Embeddings are not checked (their models truncate or refuse on their own terms).
 */
export async function preflight(
  checked: CheckedBody,
  model: { id: string; contextLength: number | undefined },
  mode: PreflightMode,
): Promise<PreflightResult> {
  const clamp = mode === true || mode === 'clamp';
  const maxTokens = maxTokensOf(checked);
  // The caller asked Together itself to handle an overflow (its own truncation or error): tether neither refuses
  // nor alters such a request, and the field goes upstream untouched.
  if (checked.body['context_length_exceeded_behavior'] !== undefined) {
    return { fits: true, plan: { promptTokens: promptBound(checked), counted: false, exact: false, maxTokens } };
  }
  const bound = promptBound(checked);
  const limit = model.contextLength;
  const needed = maxTokens ?? 1;
  if (limit === undefined || !checksContext(checked) || bound + needed <= limit) {
    return { fits: true, plan: { promptTokens: bound, counted: false, exact: false, maxTokens } };
  }
  if (mode !== 'truncate' && bound > limit * PREFIX_BYTES_PER_TOKEN) {
    // A prompt whose first part alone fills the context is refused on that part's count (see PREFIX_BYTES_PER_TOKEN).
    const prefix = await countPromptPrefix(checked, model.id, limit * PREFIX_BYTES_PER_TOKEN);
    if (prefix !== undefined && prefix.tokens >= limit) {
      const plan: TokenPlan = { promptTokens: prefix.tokens, counted: true, exact: true, maxTokens };
      const facts: OverflowFacts = { model: model.id, limit, promptTokens: prefix.tokens, maxTokens: needed, exact: true, countedChars: prefix.chars };
      if (clamp && maxTokens !== undefined) facts.tried = 'Clamping max_tokens cannot help: the prompt alone fills the context.';
      return { fits: false, facts, plan };
    }
  }
  const count = await countPrompt(checked, model.id);
  const plan: TokenPlan = { promptTokens: count.tokens, counted: true, exact: count.exact, maxTokens };
  if (count.tokens + needed <= limit || !count.exact) return { fits: true, plan };
  if (clamp && maxTokens !== undefined && count.tokens < limit) {
    return { fits: true, plan: { ...plan, maxTokens: limit - count.tokens, clampedFrom: maxTokens } };
  }
  if (mode === 'truncate' && checked.endpoint === 'chat' && limit - needed > 0) {
    const options = checked.body.tools === undefined ? {} : { tools: checked.body.tools };
    const truncation = await truncateChat(model.id, checked.body.messages as ChatMessageLike[], limit - needed, options);
    if (truncation !== undefined) return { fits: true, plan: { ...plan, promptTokens: truncation.tokensAfter, truncation } };
  }
  const facts: OverflowFacts = { model: model.id, limit, promptTokens: count.tokens, maxTokens: needed, exact: count.exact };
  if (clamp && maxTokens !== undefined) facts.tried = 'Clamping max_tokens cannot help: the prompt alone fills the context.';
  if (mode === 'truncate') {
    facts.tried =
      checked.endpoint === 'chat'
        ? 'Truncating cannot help: the system message(s), the last turn and max_tokens alone do not fit.'
        : 'Truncation applies to chat messages only; shorten the prompt or lower max_tokens.';
  }
  return { fits: false, facts, plan };
}

/** Bytes per token to turn the byte bound into a budget estimate (shipped tokenizers average 3–4.5 on prose). */
const BYTES_PER_TOKEN_ESTIMATE = 3;

/**
 * Tokens to charge the tokens/min budget: the exact prompt count when there is one, else the byte bound scaled to a
 * typical count (the bound itself is ~3-4x the real figure for prose and would waste the budget), plus max_tokens
 * or, when absent, `assumedCompletionTokens`.
 */
export function budgetTokens(plan: TokenPlan, assumedCompletionTokens: number): number {
  const prompt = plan.counted ? plan.promptTokens : Math.ceil(plan.promptTokens / BYTES_PER_TOKEN_ESTIMATE);
  return (Number.isFinite(prompt) ? prompt : 0) + (plan.maxTokens ?? assumedCompletionTokens);
}

/** The body to send to `model`: the caller's fields, the model id, and max_tokens after any clamp. */
export function bodyFor(checked: CheckedBody, model: string, plan: TokenPlan): Record<string, unknown> {
  const body: Record<string, unknown> = { ...checked.body, model };
  if (plan.clampedFrom !== undefined && plan.maxTokens !== undefined) body['max_tokens'] = plan.maxTokens;
  if (plan.truncation !== undefined) body['messages'] = plan.truncation.messages;
  return body;
}
