// resilientFetch's translations: which URLs are API calls, and a TogetherError as the Response Together would send.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TogetherError, classify } from '../../src/errors/index.js';
import { apiPath, errorResponse, statusFor } from '../../src/pipeline/index.js';
import { contextOverflowError, missingKeyError, unresolvedModelError } from '../../src/pipeline/errors.js';

describe('apiPath', () => {
  test('keeps what follows the /v1 segment, wherever the SDK base URL points', () => {
    assert.equal(apiPath('/v1/chat/completions'), '/chat/completions');
    assert.equal(apiPath('/proxy/together/v1/embeddings/'), '/embeddings');
    assert.equal(apiPath('/v1'), '/');
    assert.equal(apiPath('/v1/files/file-123/content'), '/files/file-123/content');
    assert.equal(apiPath('/upload/abc'), undefined, 'not an API call: a pre-signed URL goes to plain fetch');
    assert.equal(apiPath('/v10/models'), undefined);
  });
});

describe('errorResponse', () => {
  test("an upstream error keeps its status; the pipeline's own errors get the status Together would send", () => {
    const upstream = classify({ status: 503, body: { error: { message: 'overloaded' } } });
    assert.equal(statusFor(upstream), 503);
    const resolution = {
      ok: false as const,
      id: 'x/y',
      reason: 'unknown' as const,
      suggestions: ['x/z'],
      message: 'Model "x/y" is not in the list.',
      fix: 'Use "x/z".',
      listSource: 'live' as const,
    };
    assert.equal(statusFor(unresolvedModelError(resolution)), 404);
    assert.equal(statusFor(unresolvedModelError({ ...resolution, reason: 'not_serverless' })), 400);
    assert.equal(statusFor(unresolvedModelError({ ...resolution, reason: 'tier_gated' })), 403);
    assert.equal(statusFor(contextOverflowError({ model: 'm', limit: 10, promptTokens: 8, maxTokens: 5, exact: true })), 400);
    assert.equal(statusFor(missingKeyError(undefined)), 401);
  });

  test("Together's envelope, with tether's classification inside and no client retry", async () => {
    const error = new TogetherError({
      status: 402,
      category: 'billing',
      code: 'credit_limit',
      message: 'Credit limit exceeded.',
      cause: 'No credit.',
      fix: 'Add credit at https://api.together.xyz/settings/billing.',
      retryable: false,
      requestId: 'req-9',
    });
    const response = errorResponse(error);
    assert.equal(response.status, 402);
    assert.equal(response.headers.get('x-tether-category'), 'billing');
    assert.equal(response.headers.get('x-should-retry'), 'false');
    assert.equal(response.headers.get('x-request-id'), 'req-9');
    const body = (await response.json()) as { id: string; error: { message: string; code: string; tether: { fix: string; category: string } } };
    assert.equal(body.id, 'req-9');
    assert.equal(body.error.message, 'Credit limit exceeded.');
    assert.equal(body.error.code, 'credit_limit');
    assert.equal(body.error.tether.category, 'billing');
    assert.match(body.error.tether.fix, /settings\/billing/);
  });
});
