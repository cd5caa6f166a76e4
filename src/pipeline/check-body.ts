// Stage 1: the request body against Together's schema for its endpoint. A body that fails is never sent.
import {
  chatCompletionRequestSchema,
  checkRequestBody,
  completionRequestSchema,
  embeddingsRequestSchema,
} from '../api/index.js';
import type { ChatCompletionRequest, CompletionRequest, EmbeddingsRequest } from '../api/index.js';
import { MAX_MODEL_ID_LENGTH } from '../catalog/index.js';
import type { TogetherError } from '../errors/index.js';
import { BODY_BOUNDS, findOutOfBounds, stopWithinBounds } from './body-bounds.js';
import type { Endpoint, MediaEndpoint } from './contract.js';
import { invalidBodyError } from './errors.js';

/**
 * Deepest nesting of arrays and objects a request body may have. Real bodies stay far below it (a chat request with
 * tools whose JSON schemas nest objects in arrays in objects reaches ~20); a deeper one would overflow the stack of a
 * recursive walk (the schema check, JSON.stringify) and end as a "network" failure. Checked without recursion.
 */
export const MAX_BODY_DEPTH = 128;

/** A checked body, tagged by endpoint so later stages read its fields with their types. */
/** `verbatim`: the checked body has exactly the caller's fields and values (no default added, nothing stripped). */
export type CheckedBody = (
  | { endpoint: 'chat'; body: ChatCompletionRequest }
  | { endpoint: 'completions'; body: CompletionRequest }
  | { endpoint: 'embeddings'; body: EmbeddingsRequest }
  | { endpoint: MediaEndpoint; body: MediaRequest }
) & { verbatim?: true };

/** An images, rerank or audio body as the stages read it: the model (and whether a stream is asked for). */
export interface MediaRequest {
  model: string;
  stream?: boolean | null | undefined;
  [field: string]: unknown;
}

const MEDIA_ENDPOINTS: readonly MediaEndpoint[] = ['images', 'rerank', 'speech', 'transcriptions', 'translations'];
const ENDPOINTS: readonly Endpoint[] = ['chat', 'completions', 'embeddings', ...MEDIA_ENDPOINTS];

export function isMediaEndpoint(endpoint: Endpoint): endpoint is MediaEndpoint {
  return (MEDIA_ENDPOINTS as readonly string[]).includes(endpoint);
}

/** A media body: an object naming a model. Its other fields are Together's to check (its 400 comes back as is). */
function checkMediaBody(endpoint: MediaEndpoint, body: unknown): CheckedBody | TogetherError {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return invalidBodyError(endpoint, 'Invalid request body: expected a JSON object', [{ path: '(body)', message: 'not an object' }]);
  }
  const model = (body as { model?: unknown }).model;
  if (typeof model !== 'string' || model.length === 0) {
    return invalidBodyError(endpoint, 'Invalid request body: model is required (a model id string)', [{ path: 'model', message: 'required: a non-empty string' }]);
  }
  return { endpoint, body: body as MediaRequest, verbatim: true };
}

export function isEndpoint(value: unknown): value is Endpoint {
  return typeof value === 'string' && (ENDPOINTS as readonly string[]).includes(value);
}

type Check = (value: unknown) => boolean;

const isInteger = (value: unknown): boolean => Number.isSafeInteger(value);
const isFiniteIn = (min: number, max: number): Check => (value) => typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;

/**
 * The common chat fields with the exact rule the zod schema applies to each. A body made only of these (and plain
 * messages) is valid for certain; anything else — an unknown field, a tool call, a value out of range — goes to
 * zod, so every error message stays the schema's own.
 */
const PLAIN_CHAT_FIELDS: Readonly<Record<string, Check>> = {
  model: (value) => typeof value === 'string' && value.length > 0 && value.length <= MAX_MODEL_ID_LENGTH,
  messages: (value) => Array.isArray(value) && value.length > 0 && value.length <= BODY_BOUNDS.maxMessages && value.every(isPlainMessage),
  max_tokens: (value) => isInteger(value) && (value as number) >= 1,
  stream: (value) => typeof value === 'boolean',
  temperature: isFiniteIn(0, Infinity),
  top_p: isFiniteIn(0, 1),
  top_k: isInteger,
  seed: isInteger,
  stop: (value) => stopWithinBounds(value) && (typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string'))),
};

const PLAIN_ROLES = new Set(['system', 'user', 'assistant']);

/** `{role, content}` with a string content (and optionally a string name): valid whatever the role rules say. */
function isPlainMessage(message: unknown): boolean {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return false;
  let fields = 0;
  for (const key in message) {
    const value = (message as Record<string, unknown>)[key];
    if (key === 'role') {
      if (typeof value !== 'string' || !PLAIN_ROLES.has(value)) return false;
    } else if (key === 'content' || key === 'name') {
      if (typeof value !== 'string') return false;
    } else return false;
    fields++;
  }
  return fields >= 2 && typeof (message as { content?: unknown }).content === 'string' && (message as { role?: unknown }).role !== undefined;
}

/** The fast check of the common chat body (the full schema check costs a few percent of a gateway request). */
function isPlainChat(body: unknown): body is Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || Object.getPrototypeOf(body) !== Object.prototype) return false;
  const record = body as Record<string, unknown>;
  if (record['model'] === undefined || record['messages'] === undefined) return false;
  for (const key in record) {
    if (!Object.hasOwn(PLAIN_CHAT_FIELDS, key)) return false;
    const value = record[key];
    // An explicit undefined is what zod's optional fields accept too.
    if (value !== undefined && !PLAIN_CHAT_FIELDS[key]!(value)) return false;
  }
  return true;
}

/** The index of the quote closing the JSON string that opens at `open`, or -1 when it never closes. */
function closingQuote(text: Uint8Array, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf(0x22, at + 1);
    if (at < 0) return -1;
    let backslashes = 0;
    for (let j = at - 1; j > open && text[j] === 0x5c; j -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return at;
  }
}

/**
 * Whether the text holds fewer than `count` bytes that open an array or object (in strings or not): then it cannot
 * nest `count` deep. Counted by native searches that stop at `count`, so the usual small body skips the scan below.
 */
function fewerOpeningsThan(text: Uint8Array, count: number): boolean {
  const brackets = occurrences(text, 0x5b, count);
  return brackets < count && brackets + occurrences(text, 0x7b, count - brackets) < count;
}

/** How many times `byte` occurs in `text`, counting no further than `atMost`. */
function occurrences(text: Uint8Array, byte: number, atMost: number): number {
  let seen = 0;
  for (let at = text.indexOf(byte); at !== -1 && seen < atMost; at = text.indexOf(byte, at + 1)) seen += 1;
  return seen;
}

/**
 * Whether JSON text nests arrays and objects deeper than `limit`, read without parsing it (strings are skipped by a
 * native search for their closing quote, so a chat body costs a few structural characters). Malformed text is the
 * parser's to report: this only counts brackets outside strings.
 */
export function jsonTextTooDeep(text: Uint8Array, limit = MAX_BODY_DEPTH): boolean {
  if (fewerOpeningsThan(text, limit + 1)) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === 0x22) {
      i = closingQuote(text, i);
      if (i < 0) return false;
    } else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return false;
}

/**
 * Whether a value nests arrays and objects deeper than `limit`: an explicit stack, never recursion. An object met
 * twice (a shared or cyclic reference, possible only in a caller's own value) is walked once.
 */
export function valueTooDeep(value: unknown, limit = MAX_BODY_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false;
  const seen = new Set<object>([value]);
  const stack: Array<{ node: object; depth: number }> = [{ node: value, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (depth > limit) return true;
    const children: unknown[] = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (child === null || typeof child !== 'object' || seen.has(child)) continue;
      seen.add(child);
      stack.push({ node: child, depth: depth + 1 });
    }
  }
  return false;
}

/** The limits checked before the schema: nesting depth, the model id's length and list sizes (see body-bounds.ts). */
function checkBounds(endpoint: Endpoint, body: unknown): TogetherError | undefined {
  // List sizes first: the check is flat (no recursion) and spares the depth walk a 500,000-entry list.
  const finding = findOutOfBounds(body);
  if (finding !== undefined) return invalidBodyError(endpoint, `Invalid request body: ${finding.message}`, [finding]);
  if (valueTooDeep(body)) {
    const message = `Invalid request body: arrays and objects nest deeper than ${MAX_BODY_DEPTH} levels (the maximum nesting depth)`;
    return invalidBodyError(endpoint, message, [{ path: '(body)', message: `nests deeper than ${MAX_BODY_DEPTH} levels` }]);
  }
  const model = (body as { model?: unknown } | null)?.model;
  if (typeof model === 'string' && model.length > MAX_MODEL_ID_LENGTH) {
    const message = `Invalid request body: model is ${model.length} characters long; model ids are at most ${MAX_MODEL_ID_LENGTH} characters`;
    return invalidBodyError(endpoint, message, [{ path: 'model', message: `longer than ${MAX_MODEL_ID_LENGTH} characters` }]);
  }
  return undefined;
}

/** The checked body, or the validation error that stops the request (0 upstream calls). */
export function checkBody(endpoint: Endpoint, body: unknown): CheckedBody | TogetherError {
  // A plain chat body is bounded by its shape (strings in a flat list of messages): only the others are walked.
  if (endpoint === 'chat' && isPlainChat(body)) return { endpoint, body: { ...body } as ChatCompletionRequest, verbatim: true };
  const outOfBounds = checkBounds(endpoint, body);
  if (outOfBounds !== undefined) return outOfBounds;
  switch (endpoint) {
    case 'chat': {
      const checked = checkRequestBody(chatCompletionRequestSchema, body);
      return checked.ok ? { endpoint, body: checked.value } : invalidBodyError(endpoint, checked.message, checked.issues);
    }
    case 'completions': {
      const checked = checkRequestBody(completionRequestSchema, body);
      return checked.ok ? { endpoint, body: checked.value } : invalidBodyError(endpoint, checked.message, checked.issues);
    }
    case 'embeddings': {
      const checked = checkRequestBody(embeddingsRequestSchema, body);
      return checked.ok ? { endpoint, body: checked.value } : invalidBodyError(endpoint, checked.message, checked.issues);
    }
    default:
      return checkMediaBody(endpoint, body);
  }
}

/** Whether the caller asked for a stream (chat, completions and speech stream; the others never do). */
export function wantsStream(checked: CheckedBody): boolean {
  if (checked.endpoint === 'embeddings') return false;
  if (isMediaEndpoint(checked.endpoint)) return checked.endpoint === 'speech' && checked.body.stream === true;
  return checked.body.stream === true;
}
