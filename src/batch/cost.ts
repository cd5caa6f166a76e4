// What a request can cost at most before it is sent, from the catalog snapshot's prices: an upper bound on the
// prompt's tokens (UTF-8 bytes of the request's text fields, plus a chat template's preamble) × the input price,
// plus max_tokens × n × the output price. 0 when the model has no known price.
import { findSnapshotModel } from '../catalog/index.js';
import { upperBoundTokens } from '../tokens/index.js';
import type { BatchRequest } from './input.js';

/** Room for what a chat template adds around the messages (the largest shipped preamble is under 100 tokens). */
const TEMPLATE_TOKENS = 128;

export function snapshotCostBound(request: Pick<BatchRequest, 'body'>): number {
  const body = request.body;
  const model = typeof body.model === 'string' ? findSnapshotModel(body.model) : undefined;
  if (!model) return 0;
  const prompt = body.messages ?? body.prompt ?? body.input ?? '';
  const promptTokens = upperBoundTokens(typeof prompt === 'string' ? prompt : JSON.stringify(prompt)) + TEMPLATE_TOKENS;
  const maxTokens = typeof body.max_tokens === 'number' && body.max_tokens > 0 ? body.max_tokens : 0;
  const choices = typeof body.n === 'number' && body.n > 1 ? body.n : 1;
  return (promptTokens * model.pricing.input + maxTokens * choices * model.pricing.output) / 1_000_000;
}
