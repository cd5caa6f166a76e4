// Deterministic "model output": text drawn from a fixed vocabulary by a PRNG seeded with the emulator seed, the
// request's seed, the model and the prompt, cut by `stop` sequences and by `max_tokens` as counted by the real
// tokenizer; and unit-length embedding vectors seeded the same way.
import { hashSeed, randomInt, seededRandom } from './prng.js';
import type { GeneratedToolCall } from './tool-calls.js';

const WORDS = (
  'the a model answer request token stream server client retry budget limit window second minute credit ' +
  'together open weight prompt context length output input batch file job tune data line field value error ' +
  'status code header body network socket queue worker cache catalog family tokenizer template message ' +
  'system user assistant role content choice delta usage price cost key tier rate burst back off jitter ' +
  'circuit breaker fallback route health check time clock seed random test case result report check valid ' +
  'quick steady careful simple exact small large fast slow clear early late new old first last next every ' +
  'is are was will can should must may keeps sends reads writes counts waits holds moves returns starts stops ' +
  'and or but so then when while because before after with without from into over under through about'
).split(' ');

export interface GeneratedText {
  text: string;
  /** The text split into stream chunks (each chunk's `delta.content`). */
  pieces: string[];
  finishReason: 'stop' | 'length' | 'tool_calls';
  completionTokens: number;
  /** The `seed` Together reports on the choice. */
  seed: number;
  /** Reasoning models: the thinking before the answer, as stream pieces (`delta.reasoning`). */
  reasoning?: string[];
  /** Tokens of `reasoning` (part of completionTokens). */
  reasoningTokens?: number;
  /** Tool calls instead of content (finishReason `tool_calls`). */
  toolCalls?: GeneratedToolCall[];
}

/** What the answer's content is: prose, or JSON text given by the caller (json_object / json_schema). */
export type ContentFormat = { kind: 'text' } | { kind: 'json'; text: string };

export interface GenerateOptions {
  emulatorSeed: number;
  model: string;
  /** The prompt as text (chat messages serialised), which with the seeds decides the output. */
  prompt: string;
  choiceIndex: number;
  requestSeed?: number | undefined;
  /** Hard cap on completion tokens (max_tokens, or what the context leaves). */
  maxTokens?: number | undefined;
  stop?: readonly string[] | undefined;
  /** JSON answers (response_format json_object / json_schema) carry their text here. */
  format?: ContentFormat | undefined;
  /** Words in the draft (default 12-48): reasoning drafts are longer with a higher effort. */
  words?: { min: number; max: number } | undefined;
  /** Salt for drafts other than the answer (the reasoning). */
  purpose?: string | undefined;
  countTokens: (text: string) => Promise<number>;
}

/** JSON text in stream-sized pieces (a few characters each, as a tokenizer would cut it). */
export function jsonPieces(text: string): string[] {
  return text.match(/[\s\S]{1,6}/g) ?? [];
}

/** The `seed` Together reports on a choice: the request's, or one derived from what decides the answer. */
export function choiceSeed(options: Pick<GenerateOptions, 'emulatorSeed' | 'model' | 'prompt' | 'choiceIndex' | 'requestSeed'>): number {
  return options.requestSeed ?? hashSeed(options.emulatorSeed, options.model, options.prompt, options.choiceIndex, 'seed');
}

function draftPieces(options: GenerateOptions): { pieces: string[]; seed: number } {
  const salt = options.purpose ? [options.purpose] : [];
  const random = seededRandom(options.emulatorSeed, options.requestSeed ?? '', options.model, options.prompt, options.choiceIndex, ...salt);
  const seed = choiceSeed(options);
  if (options.format?.kind === 'json') return { pieces: jsonPieces(options.format.text), seed };
  const total = randomInt(random, options.words?.min ?? 12, options.words?.max ?? 48);
  const words: string[] = [];
  let sentenceLeft = randomInt(random, 5, 12);
  let startOfSentence = true;
  for (let i = 0; i < total; i++) {
    let word = WORDS[Math.floor(random() * WORDS.length)] ?? 'token';
    if (startOfSentence) word = word.charAt(0).toUpperCase() + word.slice(1);
    sentenceLeft--;
    const last = i === total - 1;
    if (sentenceLeft === 0 || last) {
      word += '.';
      sentenceLeft = randomInt(random, 5, 12);
      startOfSentence = true;
    } else {
      startOfSentence = false;
    }
    words.push(i === 0 ? word : ` ${word}`);
  }
  return { pieces: words, seed };
}

/** Cut pieces at the first stop sequence (the stop text itself is not returned, as with Together). */
function cutAtStop(pieces: readonly string[], stop: readonly string[] | undefined): { pieces: string[]; stopped: boolean } {
  const text = pieces.join('');
  let cutAt = -1;
  for (const s of stop ?? []) {
    if (!s) continue;
    const at = text.indexOf(s);
    if (at !== -1 && (cutAt === -1 || at < cutAt)) cutAt = at;
  }
  if (cutAt === -1) return { pieces: [...pieces], stopped: false };
  const out: string[] = [];
  let used = 0;
  for (const piece of pieces) {
    if (used >= cutAt) break;
    const take = piece.slice(0, cutAt - used);
    if (take) out.push(take);
    used += piece.length;
  }
  return { pieces: out, stopped: true };
}

/** The largest n in [lo, hi] with fits(n), for fits true up to some n and false after (fits(lo) is assumed). */
async function largestFitting(lo: number, hi: number, fits: (n: number) => Promise<boolean>): Promise<number> {
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (await fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The longest text of whole pieces, then of the next piece's first characters, whose token count is at most `max`
 * (binary searches on the real tokenizer). Together stops a 'length' answer at exactly max_tokens, mid-word when
 * the budget ends there; whole pieces alone came up a token or two short.
 */
export async function fitTokens(pieces: readonly string[], max: number, count: (text: string) => Promise<number>): Promise<string[]> {
  const whole = await largestFitting(0, pieces.length, async (n) => (await count(pieces.slice(0, n).join(''))) <= max);
  const kept = pieces.slice(0, whole);
  const next = pieces[whole];
  if (next === undefined) return kept;
  const base = kept.join('');
  const chars = Array.from(next); // by code point: never half a surrogate pair
  const part = await largestFitting(0, chars.length - 1, async (n) => (await count(base + chars.slice(0, n).join(''))) <= max);
  if (part > 0) kept.push(chars.slice(0, part).join(''));
  return kept;
}

export async function generateText(options: GenerateOptions): Promise<GeneratedText> {
  const draft = draftPieces(options);
  const { pieces: stopped } = cutAtStop(draft.pieces, options.stop);
  let pieces = stopped;
  let finishReason: GeneratedText['finishReason'] = 'stop';
  let tokens = await options.countTokens(pieces.join(''));
  if (options.maxTokens !== undefined && tokens > options.maxTokens) {
    pieces = await fitTokens(pieces, options.maxTokens, options.countTokens);
    tokens = await options.countTokens(pieces.join(''));
    finishReason = 'length';
  }
  return { text: pieces.join(''), pieces, finishReason, completionTokens: tokens, seed: draft.seed };
}

/** A stable pseudo token id for a stream chunk. */
export function pieceTokenId(piece: string): number {
  return hashSeed('token', piece) % 128_000;
}

/** A unit-length vector of `dimensions` numbers, the same for the same seed, model and text. */
export function embeddingVector(emulatorSeed: number, model: string, text: string, dimensions: number): number[] {
  const random = seededRandom(emulatorSeed, 'embedding', model, text);
  const raw = Array.from({ length: dimensions }, () => random() * 2 - 1);
  const norm = Math.sqrt(raw.reduce((sum, v) => sum + v * v, 0)) || 1;
  return raw.map((v) => v / norm);
}
