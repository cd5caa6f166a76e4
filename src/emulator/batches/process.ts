// One batch request through the emulator's own chat logic (schema, model, context, generation, credits), as
// the output line `{"custom_id", "response": {"status_code": 200, "body": …}}` or the error line
// `{"custom_id", "error": {"message", "code"}}` (shapes: together-api-facts.md §2.5). Batch requests bypass the
// per-key rate limits (Together runs them from a separate pool) and are charged at the model's batch discount.
import { findSnapshotModel } from '../../catalog/index.js';
import { supports } from '../catalog.js';
import { generateChat } from '../chat-generation.js';
import type { EmulatorKey } from '../config.js';
import { usageCost } from '../credits.js';
import { creditLimit, invalidRequest, modelNotAvailable, modelNotFound, tierTooLow } from '../errors.js';
import type { EmulatorError } from '../errors.js';
import { chatResponse, usageBody } from '../responses.js';
import type { EmulatorState } from '../state.js';
import { chatRequestSchema, validateBody } from '../validate.js';

const EXAMPLE = '{"custom_id": "1", "body": {"model": "meta-llama/Llama-3.3-70B-Instruct-Turbo", "messages": [{"role": "user", "content": "Hello"}]}}';

export interface ProcessedLine {
  ok: boolean;
  /** The serialised output or error line. */
  line: string;
}

/** `invalid_model` is the code Together's batch docs show for a bad model; other errors keep their own code. */
function errorLine(customId: string, error: EmulatorError, code?: string): ProcessedLine {
  return { ok: false, line: JSON.stringify({ custom_id: customId, error: { message: error.error.message, code: code ?? error.error.code ?? error.error.type } }) };
}

export async function processChatLine(
  state: EmulatorState,
  key: EmulatorKey,
  customId: string,
  rawBody: unknown,
  env: { id: string; created: number },
): Promise<ProcessedLine> {
  const checked = validateBody(chatRequestSchema, rawBody, EXAMPLE);
  if (!checked.ok) return errorLine(customId, checked.error);
  const body = checked.value;
  if (body.stream === true) return errorLine(customId, invalidRequest('`stream` cannot be true in a batch request.', 'stream'));
  const found = state.catalog.lookup(body.model);
  if (found.kind === 'unknown') return errorLine(customId, modelNotFound(body.model), 'invalid_model');
  if (found.kind === 'not_serverless') return errorLine(customId, modelNotAvailable(body.model), 'invalid_model');
  const model = found.model;
  if (key.tier < model.minTier) return errorLine(customId, tierTooLow(model.minTier));
  const snapshot = findSnapshotModel(model.id);
  if (!supports(model, 'chat') || snapshot?.batch !== true) {
    return errorLine(customId, invalidRequest(`Model ${model.id} is not available for batch inference. Use a model listed at https://docs.together.ai/docs/batch-inference.`, 'model'), 'invalid_model');
  }
  const generated = await generateChat(state.config.seed, model, body);
  if (!generated.ok) return errorLine(customId, generated.error, 'context_length_exceeded');
  if (state.credits.exhausted(key.key)) return errorLine(customId, creditLimit(), 'credit_limit');
  const { promptTokens, choices } = generated;
  const usage = usageBody(promptTokens, choices);
  const discount = snapshot.batch_discount ?? 0;
  state.credits.charge(key.key, usageCost(usage, model.pricing) * (1 - discount));
  const response = chatResponse({ id: env.id, created: env.created, model: model.id }, choices, usage);
  return { ok: true, line: JSON.stringify({ custom_id: customId, response: { status_code: 200, body: response } }) };
}
