// Token lengths of valid examples with the model's tokenizer and chat template, against the model's fine-tuning
// context. Three speeds, cheapest first:
//  1. the byte bound (tokens/index.ts upperBound*): no tokenizer at all; when even the bound fits the context,
//     the example fits, and it is not counted (unless exact totals are asked for);
//  2. for families whose template inserts each message's text verbatim between fixed pieces (template-shape.ts),
//     the template's fixed tokens once per shape (the roles in order) plus each message's own tokens;
//  3. otherwise the full chat rendered and tokenized.
import { countChatTokens, countTextTokens, upperBoundChatTokens, upperBoundTokens } from '../tokens/index.js';
import type { ChatMessageLike, TokenCount } from '../tokens/index.js';
import type { ChunkResult, PendingExample } from './chunk.js';
import type { FineTuneModel } from './model.js';
import { countByShape } from './template-shape.js';
import type { DatasetFormat, Issue } from './types.js';

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return '';
  return value.map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : '')).join('');
}

/**
 * A dataset message as the token counter takes it. Reasoning (`reasoning` / `reasoning_content`) is rendered in
 * front of the answer as the think block reasoning templates (Qwen3, GLM) train on, so its tokens are counted.
 */
export function chatMessage(message: Record<string, unknown>): ChatMessageLike {
  const reasoning = typeof message.reasoning === 'string' ? message.reasoning : typeof message.reasoning_content === 'string' ? message.reasoning_content : undefined;
  if (reasoning === undefined) return message as unknown as ChatMessageLike;
  const content = textOf(message.content);
  return { ...(message as unknown as ChatMessageLike), content: `<think>\n${reasoning}\n</think>\n\n${content}` };
}

const chatMessages = (messages: unknown): ChatMessageLike[] => (messages as Record<string, unknown>[]).map(chatMessage);

/** The chats an example trains on: one for a conversation, one per output for preference data. */
function chatsOf(format: DatasetFormat, sample: Record<string, unknown>): { chats: ChatMessageLike[][]; tools: unknown } | undefined {
  if (format === 'conversation') return { chats: [chatMessages(sample.messages)], tools: sample.tools };
  if (format !== 'preference') return undefined;
  const input = sample.input as { messages: unknown; tools?: unknown };
  const prompt = chatMessages(input.messages);
  return {
    chats: [
      [...prompt, ...chatMessages(sample.preferred_output)],
      [...prompt, ...chatMessages(sample.non_preferred_output)],
    ],
    tools: input.tools,
  };
}

/**
 * A bound on the example's tokens that needs no tokenizer (never below the exact count), or Infinity where no
 * such bound is proven: tool definitions may render longer than their JSON (see upperBoundChatTokens).
 */
export function exampleUpperBound(format: DatasetFormat, sample: Record<string, unknown>): number {
  switch (format) {
    case 'text':
      return upperBoundTokens(textOf(sample.text));
    case 'instruction':
      return upperBoundTokens(textOf(sample.prompt)) + upperBoundTokens(textOf(sample.completion));
    case 'tokenized':
      return Infinity;
    default: {
      const { chats, tools } = chatsOf(format, sample)!;
      if (tools !== undefined) return Infinity;
      return Math.max(...chats.map((chat) => upperBoundChatTokens(chat)));
    }
  }
}

function add(a: TokenCount, b: TokenCount): TokenCount {
  return { tokens: a.tokens + b.tokens, exact: a.exact && b.exact };
}

async function countChat(tokenizer: string, messages: ChatMessageLike[], tools: unknown): Promise<TokenCount> {
  if (tools === undefined) {
    const fast = await countByShape(tokenizer, messages);
    if (fast !== undefined) return fast;
  }
  return countChatTokens(tokenizer, messages, { addGenerationPrompt: false, ...(tools !== undefined ? { tools } : {}) });
}

/** The token length of one valid example, as the model's tokenizer and chat template render it. */
export async function countExample(tokenizer: string, format: DatasetFormat, sample: Record<string, unknown>): Promise<TokenCount> {
  switch (format) {
    case 'text':
      return countTextTokens(tokenizer, textOf(sample.text));
    case 'instruction': {
      const [prompt, completion] = await Promise.all([countTextTokens(tokenizer, textOf(sample.prompt)), countTextTokens(tokenizer, textOf(sample.completion))]);
      return add(prompt, completion);
    }
    case 'tokenized':
      throw new Error('pre-tokenized rows are counted by their length');
    default: {
      // Preference data: each output is trained with the prompt, so the longer pair is what must fit.
      const { chats, tools } = chatsOf(format, sample)!;
      const counts = await Promise.all(chats.map((chat) => countChat(tokenizer, chat, tools)));
      const exact = counts.every((c) => c.exact);
      return { tokens: Math.max(...counts.map((c) => c.tokens)), exact };
    }
  }
}

/** Examples counted at once: their encodes run in parallel on libuv's thread pool (all cores, one tokenizer). */
const IN_FLIGHT = 32;

/**
 * Sorts a chunk's valid examples into those the byte bound proves fit (`result.tokens.bounded`) and those left
 * to count exactly (returned); with `exact`, all are counted. Runs on whichever thread checked the chunk.
 */
export function boundExamples(result: ChunkResult, pending: PendingExample[], model: FineTuneModel, exact: boolean): PendingExample[] {
  const tokens = { total: 0, counted: 0, longest: 0, longestLine: 0, exact: true, bounded: 0 };
  result.tokens = tokens;
  if (exact) return pending;
  const left: PendingExample[] = [];
  for (const example of pending) {
    const limit = example.format === 'preference' ? model.maxSeqLengthDpo : model.maxSeqLength;
    if (exampleUpperBound(example.format, example.sample) <= limit) tokens.bounded++;
    else left.push(example);
  }
  return left;
}

/** Counts `pending` examples exactly into `result.tokens`, adding an example.too-long issue (capped) for each that does not fit. */
export async function countChunkTokens(result: ChunkResult, pending: PendingExample[], model: FineTuneModel, cap: number): Promise<void> {
  const tokens = (result.tokens ??= { total: 0, counted: 0, longest: 0, longestLine: 0, exact: true, bounded: 0 });
  const counts: TokenCount[] = new Array(pending.length);
  for (let from = 0; from < pending.length; from += IN_FLIGHT) {
    const batch = pending.slice(from, from + IN_FLIGHT);
    const done = await Promise.all(batch.map((example) => countExample(model.tokenizer, example.format, example.sample)));
    done.forEach((count, i) => (counts[from + i] = count));
  }
  const tooLong: Issue[] = [];
  let omitted = 0;
  pending.forEach((example, index) => {
    const count = counts[index]!;
    tokens.total += count.tokens;
    tokens.counted++;
    tokens.exact &&= count.exact;
    if (count.tokens > tokens.longest) {
      tokens.longest = count.tokens;
      tokens.longestLine = example.line;
    }
    const limit = example.format === 'preference' ? model.maxSeqLengthDpo : model.maxSeqLength;
    if (count.tokens <= limit) return;
    if (tooLong.length >= cap) {
      omitted++;
      return;
    }
    const kind = example.format === 'preference' ? 'preference (DPO) ' : '';
    tooLong.push({
      line: example.line,
      rule: 'example.too-long',
      message: `the example is ${count.tokens}${count.exact ? '' : ' (estimated)'} tokens; ${model.id} fine-tunes on ${kind}examples of at most ${limit} tokens. Shorten or split it (the part past ${limit} tokens cannot be trained on).`,
    });
  });
  if (tooLong.length > 0) result.issues = [...result.issues, ...tooLong].sort((a, b) => a.line - b.line);
  if (omitted > 0) result.omitted['example.too-long'] = (result.omitted['example.too-long'] ?? 0) + omitted;
}
