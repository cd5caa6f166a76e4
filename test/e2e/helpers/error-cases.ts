// DESIGN.md's error table as data: how to provoke each row from the emulator with one chat request, and
// what Together sends back (statuses and codes from together-api-facts.md §3). The 429 row needs a burst of
// requests, so each test file provokes it itself.
import assert from 'node:assert/strict';
import { KEYS, MODELS, chatBody } from './emulator.js';
import type { Emulator } from './emulator.js';

export type Faults = Parameters<Emulator['setFaults']>[0];

export interface ErrorCase {
  /** The DESIGN.md row this case reproduces. */
  name: string;
  key: string;
  /** Body of a `POST /chat/completions`. */
  body: Record<string, unknown>;
  /** Faults injected for this case only. */
  faults?: Faults;
  /** The status Together answers with; more than one where the facts file leaves it open. */
  statuses: number[];
  /** `error.type` Together sends, where known. */
  type?: string;
  /** `error.code` Together sends, where known; a list where either is acceptable. */
  codes?: string[];
  /** How Together's message starts, where known. */
  messagePrefix?: string;
}

export const ERROR_CASES: ErrorCase[] = [
  {
    name: '401 invalid API key',
    key: KEYS.unknown,
    body: chatBody(MODELS.chat),
    statuses: [401],
    type: 'invalid_request_error',
    codes: ['invalid_api_key'],
  },
  {
    name: '400 invalid request body (no messages)',
    key: KEYS.main,
    body: { model: MODELS.chat, max_tokens: 16 },
    statuses: [400],
  },
  {
    name: '404 unknown model id',
    key: KEYS.main,
    body: chatBody(MODELS.unknown),
    statuses: [404],
    type: 'invalid_request_error',
    codes: ['model_not_found'],
  },
  {
    name: '400 model exists but is not serverless',
    key: KEYS.main,
    body: chatBody(MODELS.nonServerless),
    statuses: [400],
    type: 'invalid_request_error',
    codes: ['model_not_available'],
  },
  {
    name: 'deprecated model id (400 or 404, as the emulator decides)',
    key: KEYS.main,
    body: chatBody(MODELS.deprecated),
    statuses: [400, 404],
    codes: ['model_not_found', 'model_not_available'],
  },
  {
    name: '400 prompt + max_tokens over the context length',
    key: KEYS.main,
    body: chatBody(MODELS.smallContext, { max_tokens: MODELS.smallContextLength + 1000 }),
    statuses: [400],
    messagePrefix: 'Input validation error',
  },
  {
    name: '402 credit limit exceeded',
    key: KEYS.broke,
    body: chatBody(MODELS.chat),
    statuses: [402],
    type: 'credit_limit',
  },
  {
    name: '503 model overloaded',
    key: KEYS.main,
    body: chatBody(MODELS.overloaded),
    faults: [{ kind: 'status', status: 503, rate: 1, model: MODELS.overloaded }],
    statuses: [503],
  },
];

/** Checks the inside of Together's envelope `{ id?, error: { message, type, param, code } }` against a case. */
export function assertErrorContent(errorCase: ErrorCase, inner: unknown): void {
  assert.ok(inner !== null && typeof inner === 'object', `${errorCase.name}: no error object, got ${JSON.stringify(inner)}`);
  const error = inner as Record<string, unknown>;
  assert.equal(typeof error.message, 'string', `${errorCase.name}: error.message must be a string`);
  if (errorCase.type !== undefined) assert.equal(error.type, errorCase.type, `${errorCase.name}: error.type`);
  if (errorCase.codes !== undefined) {
    assert.ok(errorCase.codes.includes(String(error.code)), `${errorCase.name}: error.code ${String(error.code)} not in ${errorCase.codes.join(', ')}`);
  }
  if (errorCase.messagePrefix !== undefined) {
    assert.ok(String(error.message).startsWith(errorCase.messagePrefix), `${errorCase.name}: message "${String(error.message)}"`);
  }
  assert.ok(!JSON.stringify(error).includes(errorCase.key), `${errorCase.name}: the error body repeats the API key`);
}
