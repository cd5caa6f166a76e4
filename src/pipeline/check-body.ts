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
export type CheckedBody =
  | { endpoint: 'chat'; body: ChatCompletionRequest }
  | { endpoint: 'completions'; body: CompletionRequest }
  | { endpoint: 'embeddings'; body: EmbeddingsRequest };

const ENDPOINTS: readonly Endpoint[] = ['chat', 'completions', 'embeddings'];

export function isEndpoint(value: unknown): value is Endpoint {
  return typeof value === 'string' && (ENDPOINTS as readonly string[]).includes(value);
}

/** The checked body, or the validation error that stops the request (0 upstream calls). */
export function checkBody(endpoint: Endpoint, body: unknown): CheckedBody | TogetherError {
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
  }
}

/** Whether the caller asked for a stream (embeddings never stream). */
export function wantsStream(checked: CheckedBody): boolean {
  return checked.endpoint !== 'embeddings' && checked.body.stream === true;
}
