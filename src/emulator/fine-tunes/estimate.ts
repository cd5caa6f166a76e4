// POST /v1/fine-tunes/estimate-price and /v1/fine-tunes/preview, computed from an uploaded training file: its
// tokens (counted with the base model's tokenizer), the price per 1M trained tokens by model size and training
// type, and a tokenized preview of the first rows with the loss mask Together applies (prompt tokens -100).
import { z } from 'zod';
import { countTextTokens, encodeTokenIds, renderChat } from '../../tokens/index.js';
import type { ChatMessageLike } from '../../tokens/index.js';

/**
 * USD per 1M trained tokens (Together's fine-tuning pricing, 2026-12): by the base model's size in billions of
 * parameters, LoRA and full. DPO trains two passes per token, so it costs 2.5× (Together's page).
 */
const PRICE_TIERS: readonly { upToB: number; lora: number; full: number }[] = [
  { upToB: 16, lora: 0.48, full: 0.54 },
  { upToB: 69, lora: 1.5, full: 1.65 },
  { upToB: 100, lora: 2.9, full: 3.2 },
  { upToB: Infinity, lora: 7.5, full: 9 },
];
const DPO_FACTOR = 2.5;

/** Rows a preview tokenizes at most, whatever `top_k` asks (the emulator's bound). */
export const PREVIEW_MAX_ROWS = 50;

export const estimatePriceSchema = z.looseObject({
  training_file: z.string().min(1),
  validation_file: z.string().min(1).nullish(),
  model: z.string().min(1).nullish(),
  n_epochs: z.number().int().min(1).max(20).nullish(),
  n_evals: z.number().int().min(0).max(100).nullish(),
  training_method: z.looseObject({ method: z.enum(['sft', 'dpo']) }).nullish(),
  training_type: z.looseObject({ type: z.enum(['Full', 'Lora']) }).nullish(),
  from_checkpoint: z.string().nullish(),
});
export type EstimatePriceBody = z.infer<typeof estimatePriceSchema>;

export const previewSchema = z.looseObject({
  model: z.string().min(1),
  training_file: z.string().min(1),
  top_k: z.number().int().min(1).nullish(),
  train_on_inputs: z.boolean().nullish(),
  training_method: z.literal('sft').nullish(),
});
export type PreviewBody = z.infer<typeof previewSchema>;

/** Billions of parameters read from a model id (`...-70B-...`, `...8b...`); 8 when the id does not say. */
export function modelBillions(id: string): number {
  const match = /(\d+(?:\.\d+)?)B(?![a-z])/i.exec(id.split('/').pop() ?? id);
  return match ? Number(match[1]) : 8;
}

export function pricePerMillion(model: string, type: 'Full' | 'Lora', method: 'sft' | 'dpo'): number {
  const size = modelBillions(model);
  const tier = PRICE_TIERS.find((t) => size <= t.upToB) as (typeof PRICE_TIERS)[number];
  return (type === 'Full' ? tier.full : tier.lora) * (method === 'dpo' ? DPO_FACTOR : 1);
}

/** Tokens of a JSONL training file: each line's text (messages rendered with the model's template). */
export async function fileTokens(model: string, bytes: Buffer): Promise<number> {
  let tokens = 0;
  for (const line of bytes.toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    const row = rowSegments(model, parseLine(line));
    for (const segment of row?.segments ?? [{ text: line, trained: true }]) tokens += segment.text ? (await countTextTokens(model, segment.text)).tokens : 0;
  }
  return tokens;
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export type PreviewFormat = 'general' | 'conversation' | 'instruction';

interface Segment {
  text: string;
  /** Part of what the model learns to write (an assistant turn, a completion, plain text). */
  trained: boolean;
}

/** A row as text segments, prompt parts apart from trained parts; undefined for a shape the preview cannot read. */
function rowSegments(model: string, row: Record<string, unknown> | undefined): { format: PreviewFormat; segments: Segment[] } | undefined {
  if (!row) return undefined;
  if (Array.isArray(row.messages)) {
    const messages = row.messages as ChatMessageLike[];
    let rendered: string;
    try {
      rendered = renderChat(model, messages, { addGenerationPrompt: false });
    } catch {
      rendered = messages.map((m) => `${m.role}: ${typeof m.content === 'string' ? m.content : ''}\n`).join('');
    }
    const segments: Segment[] = [];
    let cursor = 0;
    for (const message of messages) {
      if (message.role !== 'assistant' || typeof message.content !== 'string' || !message.content) continue;
      const at = rendered.indexOf(message.content, cursor);
      if (at < 0) continue;
      segments.push({ text: rendered.slice(cursor, at), trained: false }, { text: message.content, trained: true });
      cursor = at + message.content.length;
    }
    segments.push({ text: rendered.slice(cursor), trained: false });
    return { format: 'conversation', segments: segments.filter((s) => s.text) };
  }
  if (typeof row.prompt === 'string' && typeof row.completion === 'string') {
    return { format: 'instruction', segments: [{ text: row.prompt, trained: false }, { text: row.completion, trained: true }] };
  }
  if (typeof row.text === 'string') return { format: 'general', segments: [{ text: row.text, trained: true }] };
  return undefined;
}

export interface PreviewRow {
  input_ids: number[];
  labels: number[];
  num_tokens: number;
  num_trained_tokens: number;
  tokens: string[];
}

/** Token ids and their texts: words (with their leading space) encoded one by one, a multi-token word cut where
 * its prefixes gain a token — the pieces a byte-level BPE tokenizer produces for them. */
async function tokenize(model: string, text: string): Promise<{ ids: number[]; tokens: string[] }> {
  const ids: number[] = [];
  const tokens: string[] = [];
  for (const word of text.match(/\s*\S+|\s+/g) ?? []) {
    const wordIds = (await encodeTokenIds(model, word)) ?? Array.from(Buffer.from(word, 'utf8'));
    ids.push(...wordIds);
    if (wordIds.length <= 1) {
      if (wordIds.length === 1) tokens.push(word);
      continue;
    }
    const chars = Array.from(word);
    const pieces: string[] = [];
    // Where a prefix gains a token, a new token starts (byte-level BPE, near enough); long words are not split.
    if (chars.length <= 64) {
      let start = 0;
      let previous = 0;
      for (let k = 1; k <= chars.length; k++) {
        const count = (await countTextTokens(model, chars.slice(0, k).join(''))).tokens;
        if (k > 1 && count > previous && pieces.length < wordIds.length - 1) {
          pieces.push(chars.slice(start, k - 1).join(''));
          start = k - 1;
        }
        previous = count;
      }
      pieces.push(chars.slice(start).join(''));
    } else pieces.push(word);
    while (pieces.length < wordIds.length) pieces.push('');
    tokens.push(...pieces.slice(0, wordIds.length));
  }
  return { ids, tokens };
}

export async function previewRows(
  model: string,
  bytes: Buffer,
  topK: number,
  trainOnInputs: boolean,
  maxSeqLength: number,
): Promise<{ format: PreviewFormat; rows: PreviewRow[] } | { error: string }> {
  const rows: PreviewRow[] = [];
  let format: PreviewFormat | undefined;
  const lines = bytes.toString('utf8').split('\n').filter((l) => l.trim());
  for (const [i, line] of lines.slice(0, Math.min(topK, PREVIEW_MAX_ROWS)).entries()) {
    const row = rowSegments(model, parseLine(line));
    if (!row) return { error: `line ${i + 1} is not a conversation ("messages"), instruction ("prompt" + "completion") or text ("text") row` };
    format ??= row.format;
    const out: PreviewRow = { input_ids: [], labels: [], num_tokens: 0, num_trained_tokens: 0, tokens: [] };
    for (const segment of row.segments) {
      const { ids, tokens } = await tokenize(model, segment.text);
      out.input_ids.push(...ids);
      out.tokens.push(...tokens);
      out.labels.push(...ids.map((id) => (segment.trained || trainOnInputs ? id : -100)));
    }
    out.input_ids = out.input_ids.slice(0, maxSeqLength);
    out.tokens = out.tokens.slice(0, maxSeqLength);
    out.labels = out.labels.slice(0, maxSeqLength);
    out.num_tokens = out.input_ids.length;
    out.num_trained_tokens = out.labels.filter((l) => l !== -100).length;
    rows.push(out);
  }
  return { format: format ?? 'general', rows };
}
