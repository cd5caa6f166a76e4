// onContextOverflow: 'truncate' — make a chat fit its model's context by dropping and cutting, counted exactly.
//
// First the oldest non-system turns go (an assistant turn that calls tools goes together with its tool results; the
// system message(s) and everything from the last user turn on stay). If that is not enough, the longest remaining
// message has its middle replaced by TRUNCATION_MARKER, as little as the exact count allows. Every decision is made on
// the model's own tokenizer count with its chat template (countChatTokens), so the result fits exactly.
import { countChatTokens } from '../tokens/index.js';
import type { ChatMessageLike } from '../tokens/index.js';

/** What replaces the middle of a cut message. */
export const TRUNCATION_MARKER = '\n…\n';

export interface Truncation {
  messages: ChatMessageLike[];
  droppedMessages: number;
  /** Index (in the truncated messages) of the message cut in the middle; undefined when dropping was enough. */
  cutMessageIndex: number | undefined;
  tokensBefore: number;
  tokensAfter: number;
}

/** Groups of droppable message indexes, oldest first: non-system messages before the last user turn, tool pairs together. */
export function droppableGroups(messages: readonly ChatMessageLike[]): number[][] {
  let lastUser = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'user') {
      lastUser = i;
      break;
    }
  }
  const groups: number[][] = [];
  for (let i = 0; i < lastUser; i++) {
    const role = messages[i]?.role;
    if (role === 'system' || role === 'developer') continue;
    // A tool result belongs to the assistant turn that called it: it joins the previous group.
    const previous = groups[groups.length - 1];
    if (role === 'tool' && previous !== undefined && previous[previous.length - 1] === i - 1) previous.push(i);
    else groups.push([i]);
  }
  return groups;
}

/** `text` with its middle replaced by the marker, keeping `keep` characters (half from each end). */
export function cutMiddle(text: string, keep: number): string {
  if (keep >= text.length) return text;
  const head = Math.ceil(keep / 2);
  const tail = keep - head;
  // Never split a surrogate pair: step back over a high surrogate at the head's end and a low one at the tail's start.
  let headEnd = head;
  if (headEnd > 0 && /[\uD800-\uDBFF]/.test(text.charAt(headEnd - 1))) headEnd--;
  let tailStart = text.length - tail;
  if (tailStart < text.length && /[\uDC00-\uDFFF]/.test(text.charAt(tailStart))) tailStart++;
  return text.slice(0, headEnd) + TRUNCATION_MARKER + text.slice(tailStart);
}

/**
 * The chat cut to fit `budget` prompt tokens (the context minus the completion's room), or undefined when even
 * keeping only the system message(s), the last turns and a marker for the longest message does not fit.
 */
export async function truncateChat(
  model: string,
  messages: readonly ChatMessageLike[],
  budget: number,
  options: { tools?: unknown } = {},
): Promise<Truncation | undefined> {
  const count = async (list: readonly ChatMessageLike[]): Promise<number> => (await countChatTokens(model, list, options)).tokens;
  const tokensBefore = await count(messages);
  const groups = droppableGroups(messages);
  const without = (dropGroups: number): ChatMessageLike[] => {
    const dropped = new Set(groups.slice(0, dropGroups).flat());
    return messages.filter((_, i) => !dropped.has(i));
  };
  // The fewest groups to drop (the count only falls as groups go): a binary search over 0..groups.length.
  let low = 0;
  let high = groups.length;
  let highTokens = await count(without(high));
  if (highTokens <= budget) {
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const tokens = middle === 0 ? tokensBefore : await count(without(middle));
      if (tokens <= budget) {
        high = middle;
        highTokens = tokens;
      } else low = middle + 1;
    }
    const kept = without(high);
    return { messages: kept, droppedMessages: messages.length - kept.length, cutMessageIndex: undefined, tokensBefore, tokensAfter: highTokens };
  }
  // Dropping every old turn is not enough: cut the longest remaining message with string content in the middle.
  const kept = without(groups.length);
  let longest = -1;
  for (let i = 0; i < kept.length; i++) {
    const content = kept[i]?.content;
    if (typeof content === 'string' && (longest < 0 || content.length > (kept[longest]?.content as string).length)) longest = i;
  }
  if (longest < 0) return undefined;
  const text = kept[longest]?.content as string;
  const withKeep = (keep: number): ChatMessageLike[] => kept.map((message, i) => (i === longest ? { ...message, content: cutMiddle(text, keep) } : message));
  let fitKeep = 0;
  let fitTokens = await count(withKeep(0));
  if (fitTokens > budget) return undefined;
  // The most characters kept that still fit: a binary search (tokens rise with characters kept, a few at a time).
  let lo = 1;
  let hi = text.length - 1;
  while (lo <= hi) {
    const middle = Math.floor((lo + hi) / 2);
    const tokens = await count(withKeep(middle));
    if (tokens <= budget) {
      fitKeep = middle;
      fitTokens = tokens;
      lo = middle + 1;
    } else hi = middle - 1;
  }
  return {
    messages: withKeep(fitKeep),
    droppedMessages: messages.length - kept.length,
    cutMessageIndex: longest,
    tokensBefore,
    tokensAfter: fitTokens,
  };
}
