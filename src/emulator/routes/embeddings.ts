// POST /v1/embeddings: a string or a list of strings → deterministic unit vectors of the model's dimension.
import { countTextTokens } from '../../tokens/index.js';
import { embeddingVector } from '../generate.js';
import { sendJson } from '../http.js';
import type { Exchange } from '../http.js';
import { acceptRequest, admit, resolveModel } from '../inference.js';
import { embeddingResponse } from '../responses.js';
import type { Route } from '../router.js';
import type { EmulatorState } from '../state.js';
import { embeddingRequestSchema } from '../validate.js';

const EXAMPLE = '{"model": "BAAI/bge-base-en-v1.5", "input": ["first text", "second text"]}';

async function embeddings(state: EmulatorState, ex: Exchange): Promise<void> {
  const accepted = await acceptRequest(state, ex, embeddingRequestSchema, EXAMPLE);
  if (!accepted) return;
  const { key, body } = accepted;
  const model = resolveModel(state, ex, key, body.model, 'embedding');
  if (!model) return;
  const inputs = typeof body.input === 'string' ? [body.input] : body.input;
  let promptTokens = 0;
  for (const text of inputs) promptTokens += text ? (await countTextTokens(model.id, text)).tokens : 0;
  const admission = await admit(state, ex, { key, model, stream: false, promptTokens, completionTokens: 0 });
  if (!admission) return;
  const vectors = inputs.map((text) => embeddingVector(state.config.seed, model.id, text, model.dimensions));
  sendJson(ex, 200, embeddingResponse(model.id, vectors, promptTokens));
}

export function embeddingRoutes(state: EmulatorState): Route[] {
  return [{ method: 'POST', path: '/v1/embeddings', handler: (ex) => embeddings(state, ex) }];
}
