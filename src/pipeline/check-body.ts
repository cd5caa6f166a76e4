// Stage 1: the request body against Together's schema for its endpoint. A body that fails is never sent.
import {
  chatCompletionRequestSchema,
  checkRequestBody,
  completionRequestSchema,
  embeddingsRequestSchema,
} from '../api/index.js';
import type { ChatCompletionRequest, CompletionRequest, EmbeddingsRequest } from '../api/index.js';
import type { TogetherError } from '../errors/index.js';
import type { Endpoint } from './contract.js';
import { invalidBodyError } from './errors.js';

/** A checked body, tagged by endpoint so later stages read its fields with their types. */
/** `verbatim`: the checked body has exactly the caller's fields and values (no default added, nothing stripped). */
export type CheckedBody = (
  | { endpoint: 'chat'; body: ChatCompletionRequest }
  | { endpoint: 'completions'; body: CompletionRequest }
  | { endpoint: 'embeddings'; body: EmbeddingsRequest }
) & { verbatim?: true };

const ENDPOINTS: readonly Endpoint[] = ['chat', 'completions', 'embeddings'];

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
  model: (value) => typeof value === 'string' && value.length > 0,
  messages: (value) => Array.isArray(value) && value.length > 0 && value.every(isPlainMessage),
  max_tokens: (value) => isInteger(value) && (value as number) >= 1,
  stream: (value) => typeof value === 'boolean',
  temperature: isFiniteIn(0, Infinity),
  top_p: isFiniteIn(0, 1),
  top_k: isInteger,
  seed: isInteger,
  stop: (value) => typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string')),
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

/** The checked body, or the validation error that stops the request (0 upstream calls). */
export function checkBody(endpoint: Endpoint, body: unknown): CheckedBody | TogetherError {
  switch (endpoint) {
    case 'chat': {
      if (isPlainChat(body)) return { endpoint, body: { ...body } as ChatCompletionRequest, verbatim: true };
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
  }
}

/** Whether the caller asked for a stream (embeddings never stream). */
export function wantsStream(checked: CheckedBody): boolean {
  return checked.endpoint !== 'embeddings' && checked.body.stream === true;
}
