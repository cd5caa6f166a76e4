// zod schemas for request bodies, used by the pipeline's "check body" stage to stop a request that Together
// would reject anyway, before it costs a round trip. They are deliberately lenient where Together's own
// acceptance is wider than its spec (unknown fields pass through; OpenAI-style variants such as a string
// `stop` or array `content` are allowed) — a false rejection would be worse than an upstream 400.
import { z } from 'zod';

// zod 4 numbers already reject NaN and ±Infinity.
const finiteNumber = z.number({ error: 'must be a number' });

const contentPart = z.looseObject({ type: z.string({ error: 'must be a string naming the part type (text, image_url, …)' }) });
const content = z.union([z.string(), z.array(contentPart)], { error: 'must be a string or an array of content parts' });

const toolCall = z.looseObject({
  id: z.string().optional(),
  type: z.string().optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string().optional() }),
});

const MESSAGE_ROLES = ['system', 'user', 'assistant', 'tool', 'function'] as const;

export const chatMessageSchema = z
  .looseObject({
    role: z.enum(MESSAGE_ROLES, {
      error: (issue) =>
        `${issue.input === undefined ? 'is required: ' : ''}must be one of ${MESSAGE_ROLES.map((r) => `"${r}"`).join(', ')}`,
    }),
    content: content.nullable().optional(),
    name: z.string().optional(),
    tool_calls: z.array(toolCall).optional(),
    tool_call_id: z.string().optional(),
  })
  .superRefine((message, ctx) => {
    const hasContent = message.content !== undefined && message.content !== null;
    if (message.role === 'assistant') {
      if (!hasContent && (message.tool_calls === undefined || message.tool_calls.length === 0) && message['function_call'] === undefined) {
        ctx.addIssue({ code: 'custom', path: ['content'], message: 'an assistant message needs content or tool_calls' });
      }
      return;
    }
    if (!hasContent) ctx.addIssue({ code: 'custom', path: ['content'], message: `is required for a "${message.role}" message` });
    if (message.role === 'tool' && message.tool_call_id === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tool_call_id'], message: 'is required for a "tool" message' });
    }
  });

const samplingFields = {
  max_tokens: z.number().int({ error: 'must be an integer' }).min(1, { error: 'must be at least 1' }).optional(),
  stop: z.union([z.string(), z.array(z.string())], { error: 'must be a string or an array of strings' }).optional(),
  temperature: finiteNumber.min(0, { error: 'must be at least 0' }).optional(),
  top_p: finiteNumber.min(0, { error: 'must be between 0 and 1' }).max(1, { error: 'must be between 0 and 1' }).optional(),
  top_k: z.number().int({ error: 'must be an integer' }).optional(),
  min_p: finiteNumber.min(0, { error: 'must be between 0 and 1' }).max(1, { error: 'must be between 0 and 1' }).optional(),
  repetition_penalty: finiteNumber.optional(),
  presence_penalty: finiteNumber.min(-2, { error: 'must be between -2 and 2' }).max(2, { error: 'must be between -2 and 2' }).optional(),
  frequency_penalty: finiteNumber.min(-2, { error: 'must be between -2 and 2' }).max(2, { error: 'must be between -2 and 2' }).optional(),
  logit_bias: z.record(z.string(), finiteNumber).optional(),
  seed: z.number().int({ error: 'must be an integer' }).optional(),
  n: z.number().int({ error: 'must be an integer' }).min(1, { error: 'must be between 1 and 128' }).max(128, { error: 'must be between 1 and 128' }).optional(),
  logprobs: z
    .union([z.boolean(), z.number().int({ error: 'must be an integer between 0 and 20' }).min(0, { error: 'must be an integer between 0 and 20' }).max(20, { error: 'must be an integer between 0 and 20' })], {
      error: 'must be an integer between 0 and 20',
    })
    .optional(),
  echo: z.boolean().optional(),
  stream: z.boolean({ error: 'must be true or false' }).optional(),
  safety_model: z.string().optional(),
};

const modelField = z.string({ error: 'is required: the exact model id, e.g. "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"' }).min(1, {
  error: 'must not be empty: give the exact model id, e.g. "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"',
});

export const chatCompletionRequestSchema = z.looseObject({
  model: modelField,
  messages: z
    .array(chatMessageSchema, { error: 'is required: an array of {role, content} messages' })
    .min(1, { error: 'must contain at least one message' }),
  ...samplingFields,
  context_length_exceeded_behavior: z.enum(['truncate', 'error'], { error: 'must be "truncate" or "error"' }).optional(),
  response_format: z
    .looseObject({ type: z.enum(['text', 'json_object', 'json_schema'], { error: 'must be "text", "json_object" or "json_schema"' }) })
    .optional(),
  tools: z.array(z.looseObject({ type: z.string().optional(), function: z.looseObject({ name: z.string() }) })).optional(),
  tool_choice: z.union([z.string(), z.looseObject({})]).optional(),
  reasoning_effort: z.enum(['low', 'medium', 'high'], { error: 'must be "low", "medium" or "high"' }).optional(),
  reasoning: z.looseObject({ enabled: z.boolean().optional() }).optional(),
  chat_template_kwargs: z.record(z.string(), z.unknown()).optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).optional(),
});

export const completionRequestSchema = z.looseObject({
  model: modelField,
  prompt: z.union([z.string(), z.array(z.string())], { error: 'is required: the text to complete (a string)' }),
  ...samplingFields,
});

export const embeddingsRequestSchema = z.looseObject({
  model: modelField,
  input: z.union(
    [z.string().min(1, { error: 'must not be empty' }), z.array(z.string()).min(1, { error: 'must contain at least one string' })],
    { error: 'is required: a string or an array of strings to embed' },
  ),
});

export type ChatMessage = z.infer<typeof chatMessageSchema>;
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
export type CompletionRequest = z.infer<typeof completionRequestSchema>;
export type EmbeddingsRequest = z.infer<typeof embeddingsRequestSchema>;

export interface BodyIssue {
  /** The field, in the form a person would write it: `messages[0].role`. */
  path: string;
  message: string;
}

export type BodyCheck<T> = { ok: true; value: T } | { ok: false; issues: BodyIssue[]; message: string };

/** `['messages', 0, 'role']` → `messages[0].role`. */
export function formatIssuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(body)' : out;
}

/** Validate a request body; every issue names its field. */
export function checkRequestBody<T>(schema: z.ZodType<T>, body: unknown): BodyCheck<T> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    const issue = { path: '(body)', message: 'must be a JSON object' };
    return { ok: false, issues: [issue], message: 'Invalid request body: must be a JSON object' };
  }
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, value: result.data };
  const issues = result.error.issues.map((issue) => ({ path: formatIssuePath(issue.path), message: issue.message }));
  const message = `Invalid request body: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`;
  return { ok: false, issues, message };
}
