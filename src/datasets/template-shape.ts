// A chat's token count without rendering its template, for the families whose template puts each message's text
// verbatim right after a newline and right before a special token (Llama 3 / 3.1 headers, Qwen's ChatML). There
// the pre-tokenizer always splits at both ends of the text (a newline run cannot absorb a non-space character,
// and special tokens are split out first), so
//
//   tokens(rendered chat) = tokens(template pieces for this shape) + Σ tokens(message text)
//
// where the shape is the sequence of roles. The pieces' count is measured once per shape (the chat rendered
// with a one-token placeholder per message, minus the placeholders). Messages that could change what the
// template emits or where the text splits (leading/trailing whitespace, which the templates trim; think and
// tool-response tags, which Qwen3's template parses; tool calls, names, list content) fall back to rendering.
// test/datasets/template-shape.test.ts checks the equality against full rendering for every family listed here.
import { countChatTokens, countTextTokens, resolveFamily } from '../tokens/index.js';
import type { ChatMessageLike, TokenCount, TokenizerFamily } from '../tokens/index.js';

export const SHAPE_FAMILIES: ReadonlySet<TokenizerFamily> = new Set(['llama3', 'llama3_1', 'qwen2_5', 'qwen3']);
const ROLES = new Set(['system', 'user', 'assistant']);
const PLACEHOLDER = 'a';
/** Shapes remembered per process; real datasets have a few dozen. */
const MAX_SHAPES = 4096;
/** Text a template reacts to (Qwen3 splits `</think>`, looks for `<tool_response>`), or whitespace at an end. */
const UNSAFE = /<\/?think>|<tool_response>|^[\s\u0085\u180e\u200b-\u200d\u2060\ufeff]|[\s\u0085\u180e\u200b-\u200d\u2060\ufeff]$/u;

const overheads = new Map<string, Promise<number | undefined>>();

/** The message texts when every message fits the shortcut, else undefined. */
function plainTexts(messages: readonly ChatMessageLike[]): string[] | undefined {
  const texts: string[] = [];
  for (const message of messages) {
    const content = message.content;
    if (!ROLES.has(message.role) || typeof content !== 'string' || content.length === 0 || UNSAFE.test(content)) return undefined;
    if ((message.tool_calls !== undefined && message.tool_calls !== null) || message.name !== undefined || message.tool_call_id !== undefined) return undefined;
    texts.push(content);
  }
  return texts;
}

async function measureOverhead(family: TokenizerFamily, roles: readonly string[]): Promise<number | undefined> {
  const placeholders = roles.map((role) => ({ role, content: PLACEHOLDER }));
  const [chat, one] = await Promise.all([countChatTokens(family, placeholders, { addGenerationPrompt: false }), countTextTokens(family, PLACEHOLDER)]);
  if (!chat.exact || !one.exact) return undefined;
  return chat.tokens - roles.length * one.tokens;
}

function overheadOf(family: TokenizerFamily, roles: readonly string[]): Promise<number | undefined> {
  const key = `${family}\u0000${roles.join(',')}`;
  let overhead = overheads.get(key);
  if (overhead === undefined) {
    if (overheads.size >= MAX_SHAPES) overheads.clear();
    overhead = measureOverhead(family, roles);
    overheads.set(key, overhead);
  }
  return overhead;
}

/**
 * The chat's exact count (no generation prompt, no tools) by shape, or undefined when the family or a message
 * does not allow the shortcut (the caller then renders the chat).
 */
export async function countByShape(modelOrFamily: string, messages: readonly ChatMessageLike[]): Promise<TokenCount | undefined> {
  const family = resolveFamily(modelOrFamily);
  if (family === undefined || !SHAPE_FAMILIES.has(family) || messages.length === 0) return undefined;
  const texts = plainTexts(messages);
  if (texts === undefined) return undefined;
  const overhead = await overheadOf(
    family,
    messages.map((m) => m.role),
  );
  if (overhead === undefined) return undefined;
  const counts = await Promise.all(texts.map((text) => countTextTokens(family, text)));
  if (!counts.every((c) => c.exact)) return undefined;
  return { tokens: overhead + counts.reduce((sum, c) => sum + c.tokens, 0), exact: true, family };
}
