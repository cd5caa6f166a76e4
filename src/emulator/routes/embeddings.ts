// POST /v1/embeddings: a string or a list of strings → deterministic unit vectors of the model's dimension.
import { countTextTokens } from '../../tokens/index.js';
import { invalidRequest } from '../errors.js';
import type { EmulatorError } from '../errors.js';
import { embeddingVector } from '../generate.js';
import { sendError, sendJson } from '../http.js';
import type { Exchange } from '../http.js';
import { acceptRequest, admit, resolveModel } from '../inference.js';
import { embeddingResponse } from '../responses.js';
import type { Route } from '../router.js';
import type { EmulatorState } from '../state.js';
import { embeddingRequestSchema } from '../validate.js';

const EXAMPLE = '{"model": "BAAI/bge-base-en-v1.5", "input": ["first text", "second text"]}';

/**
 * Most inputs in one request. UNCONFIRMED: Together documents no figure; 2048 is OpenAI's documented cap for the
 * same wire format. Checked before any token is counted: 100,000 inputs once held the emulator for a minute.
 */
export const MAX_EMBEDDING_INPUTS = 2048;

function tooManyInputs(count: number): EmulatorError {
  return invalidRequest(
    `\`input\` holds ${count} items; at most ${MAX_EMBEDDING_INPUTS} inputs are accepted in one request. Split them across several requests.`,
    'input',
  );
}

/** UNCONFIRMED wording: text-embeddings-inference's, which Together's embedding models are served with. */
function inputTooLong(index: number, tokens: number, limit: number): EmulatorError {
  return invalidRequest(
    `Input validation error: \`inputs\` must have less than ${limit} tokens. Given: ${tokens} (input[${index}]). Shorten or split that input.`,
    'input',
  );
}

async function embeddings(state: EmulatorState, ex: Exchange): Promise<void> {
  const accepted = await acceptRequest(state, ex, embeddingRequestSchema, EXAMPLE);
  if (!accepted) return;
  const { key, body } = accepted;
  const inputs = typeof body.input === 'string' ? [body.input] : body.input;
  if (inputs.length > MAX_EMBEDDING_INPUTS) return sendError(ex, tooManyInputs(inputs.length));
  const model = resolveModel(state, ex, key, body.model, 'embedding');
  if (!model) return;
  let promptTokens = 0;
  for (const [index, text] of inputs.entries()) {
    const tokens = text ? (await countTextTokens(model.id, text)).tokens : 0;
    if (model.context_length !== undefined && model.context_length > 0 && tokens > model.context_length) return sendError(ex, inputTooLong(index, tokens, model.context_length));
    promptTokens += tokens;
  }
  const admission = await admit(state, ex, { key, model, stream: false, promptTokens, completionTokens: 0 });
  if (!admission) return;
  const vectors = inputs.map((text) => embeddingVector(state.config.seed, model.id, text, model.dimensions));
  sendJson(ex, 200, embeddingResponse(model.id, vectors, promptTokens));
}

export function embeddingRoutes(state: EmulatorState): Route[] {
  return [{ method: 'POST', path: '/v1/embeddings', handler: (ex) => embeddings(state, ex) }];
}
