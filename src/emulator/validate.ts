// Request body schemas for the inference endpoints and the translation of a zod issue into a 400 whose message
// names the field and says how to fix it. Unknown fields are ignored (clients send extras such as
// `stream_options` or `user`); `null` is accepted wherever a field is optional.
import { z } from 'zod';
import { invalidRequest } from './errors.js';
import type { EmulatorError } from './errors.js';
import { formatIssuePath } from './config.js';
import { requestBoundsError } from './request-bounds.js';

const ROLES = ['system', 'user', 'assistant', 'tool', 'function'] as const;

const message = z.looseObject({
  role: z.enum(ROLES),
  content: z.union([z.string(), z.array(z.unknown())]).nullish(),
  name: z.string().nullish(),
  tool_call_id: z.string().nullish(),
  tool_calls: z.array(z.unknown()).nullish(),
});

const sampling = {
  max_tokens: z.number().int().min(1).nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  repetition_penalty: z.number().nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  logit_bias: z.record(z.string(), z.number()).nullish(),
  seed: z.number().int().nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  // Together takes an integer 0–20; OpenAI clients send a boolean for chat.
  logprobs: z.union([z.boolean(), z.number().int().min(0).max(20)]).nullish(),
  echo: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({}).nullish(),
  safety_model: z.string().nullish(),
};

export const chatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  ...sampling,
  response_format: z.looseObject({ type: z.enum(['text', 'json_object', 'json_schema']) }).nullish(),
  tools: z.array(z.unknown()).nullish(),
  tool_choice: z.union([z.string(), z.looseObject({})]).nullish(),
  context_length_exceeded_behavior: z.enum(['truncate', 'error']).nullish(),
  reasoning_effort: z.enum(['low', 'medium', 'high']).nullish(),
  reasoning: z.looseObject({ enabled: z.boolean().nullish() }).nullish(),
  chat_template_kwargs: z.looseObject({}).nullish(),
});
export type ChatRequest = z.infer<typeof chatRequestSchema>;

export const completionRequestSchema = z.looseObject({
  model: z.string().min(1),
  prompt: z.string(),
  ...sampling,
});
export type CompletionRequest = z.infer<typeof completionRequestSchema>;

export const embeddingRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1)]),
});
export type EmbeddingRequest = z.infer<typeof embeddingRequestSchema>;

/** How to fix each field, keyed by its top-level name. */
const FIXES: Record<string, string> = {
  model: 'Set `model` to a model id from GET /v1/models, e.g. "meta-llama/Llama-3.3-70B-Instruct-Turbo".',
  messages: 'Send `messages` as a non-empty array of objects like {"role": "user", "content": "Hello"}; role is one of system, user, assistant, tool, function.',
  prompt: 'Send `prompt` as a string.',
  input: 'Send `input` as a string or a non-empty array of strings.',
  max_tokens: 'Send `max_tokens` as a positive integer, e.g. 256.',
  stop: 'Send `stop` as a string or an array of strings.',
  temperature: 'Send `temperature` as a number from 0 to 2.',
  top_p: 'Send `top_p` as a number from 0 to 1.',
  top_k: 'Send `top_k` as an integer.',
  min_p: 'Send `min_p` as a number from 0 to 1.',
  presence_penalty: 'Send `presence_penalty` as a number from -2 to 2.',
  frequency_penalty: 'Send `frequency_penalty` as a number from -2 to 2.',
  logit_bias: 'Send `logit_bias` as an object of token id → number.',
  seed: 'Send `seed` as an integer.',
  n: 'Send `n` as an integer from 1 to 128.',
  logprobs: 'Send `logprobs` as an integer from 0 to 20.',
  stream: 'Send `stream` as true or false.',
  response_format: 'Send `response_format` as {"type": "text" | "json_object" | "json_schema", ...}.',
  context_length_exceeded_behavior: 'Send `context_length_exceeded_behavior` as "truncate" or "error".',
  reasoning_effort: 'Send `reasoning_effort` as "low", "medium" or "high".',
};

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isInteger(value)) return `the number ${value}`;
  if (typeof value === 'string') return value.length > 40 ? 'a string' : `the string "${value}"`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** One 400 for the first problem in the body; `fixes` (by top-level field) take precedence over FIXES. */
export function requestError(input: unknown, issues: readonly z.core.$ZodIssue[], fixes: Readonly<Record<string, string>> = {}): EmulatorError {
  const issue = issues[0];
  if (!issue) return invalidRequest('Invalid request body.');
  const field = formatIssuePath(issue.path);
  const value = valueAt(input, issue.path);
  const top = typeof issue.path[0] === 'string' ? issue.path[0] : '';
  const fix = fixes[top] ?? FIXES[top] ?? `Fix \`${field}\` and retry.`;
  let problem: string;
  if (value === undefined && issue.code === 'invalid_type') problem = 'is required';
  else if (issue.code === 'invalid_value') problem = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')} (got ${describeValue(value)})`;
  else problem = `is invalid: ${issue.message.replace(/^Invalid input: /, '').replace(/^Too (small|big): /, '')} (got ${describeValue(value)})`;
  return invalidRequest(`\`${field}\` ${problem}. ${fix}`, field);
}

export type Validated<T> = { ok: true; value: T } | { ok: false; error: EmulatorError };

export function validateBody<T>(schema: z.ZodType<T>, input: unknown, example: string, fixes: Readonly<Record<string, string>> = {}): Validated<T> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, error: invalidRequest(`Request body must be a JSON object (got ${describeValue(input)}). Send e.g. ${example}.`) };
  }
  // List sizes before the schema walks the lists (see request-bounds.ts).
  const outOfBounds = requestBoundsError(input);
  if (outOfBounds) return { ok: false, error: outOfBounds };
  const result = schema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, error: requestError(input, result.error.issues, fixes) };
}
