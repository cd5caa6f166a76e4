// Token lengths of valid examples, with the model's tokenizer and chat template, checked against the
// model's fine-tuning context. Runs on whichever thread checked the chunk.
import { countChatTokens, countTextTokens } from '../tokens/index.js';
import type { ChatMessageLike, TokenCount } from '../tokens/index.js';
import type { ChunkResult, PendingExample } from './chunk.js';
import type { FineTuneModel } from './model.js';
import type { DatasetFormat, Issue } from './types.js';

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return '';
  return value.map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : '')).join('');
}

function add(a: TokenCount, b: TokenCount): TokenCount {
  return { tokens: a.tokens + b.tokens, exact: a.exact && b.exact };
}

/** The token length of one valid example, as the model's tokenizer and chat template render it. */
export async function countExample(tokenizer: string, format: DatasetFormat, sample: Record<string, unknown>): Promise<TokenCount> {
  const chat = (messages: unknown[], tools?: unknown): Promise<TokenCount> =>
    countChatTokens(tokenizer, messages as ChatMessageLike[], { addGenerationPrompt: false, ...(tools !== undefined ? { tools } : {}) });
  switch (format) {
    case 'conversation':
      return chat(sample.messages as unknown[], sample.tools);
    case 'text':
      return countTextTokens(tokenizer, textOf(sample.text));
    case 'instruction':
      return add(await countTextTokens(tokenizer, textOf(sample.prompt)), await countTextTokens(tokenizer, textOf(sample.completion)));
    case 'preference': {
      // Each output is trained with the prompt: the longer pair is what must fit.
      const input = (sample.input as { messages: unknown[] }).messages;
      const preferred = await chat([...input, ...(sample.preferred_output as unknown[])]);
      const other = await chat([...input, ...(sample.non_preferred_output as unknown[])]);
      return preferred.tokens >= other.tokens ? { ...preferred, exact: preferred.exact && other.exact } : { ...other, exact: preferred.exact && other.exact };
    }
  }
}

/** Counts `pending` examples into `result.tokens`, adding an example.too-long issue (capped) for each that does not fit. */
export async function countChunkTokens(result: ChunkResult, pending: PendingExample[], model: FineTuneModel, cap: number): Promise<void> {
  const tokens = { total: 0, counted: 0, longest: 0, longestLine: 0, exact: true };
  const tooLong: Issue[] = [];
  let omitted = 0;
  for (const example of pending) {
    const count = await countExample(model.tokenizer, example.format, example.sample);
    tokens.total += count.tokens;
    tokens.counted++;
    tokens.exact &&= count.exact;
    if (count.tokens > tokens.longest) {
      tokens.longest = count.tokens;
      tokens.longestLine = example.line;
    }
    const limit = example.format === 'preference' ? model.maxSeqLengthDpo : model.maxSeqLength;
    if (count.tokens > limit) {
      if (tooLong.length >= cap) {
        omitted++;
        continue;
      }
      const kind = example.format === 'preference' ? 'preference (DPO) ' : '';
      tooLong.push({
        line: example.line,
        rule: 'example.too-long',
        message: `the example is ${count.tokens}${count.exact ? '' : ' (estimated)'} tokens; ${model.id} fine-tunes on ${kind}examples of at most ${limit} tokens. Shorten or split it (the part past ${limit} tokens cannot be trained on).`,
      });
    }
  }
  result.tokens = tokens;
  if (tooLong.length > 0) result.issues = [...result.issues, ...tooLong].sort((a, b) => a.line - b.line);
  if (omitted > 0) result.omitted['example.too-long'] = omitted;
}
