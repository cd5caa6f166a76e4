// Every request parameter Together's OpenAPI description lists for chat/completions and completions (plus the
// OpenAI ones clients send), and what the emulator does with it — the one table docs/emulator-fidelity.md is
// written from. `checkInferenceParams` makes the checks the zod schemas in validate.ts cannot (cross-field,
// catalog lookups), each with an error that names the field and the fix.
import { invalidRequest } from './errors.js';
import type { EmulatorError } from './errors.js';

export type Handling = 'honoured' | 'validated, no effect' | 'rejected';

export interface ParameterRow {
  name: string;
  endpoints: readonly ('chat' | 'completions')[];
  handling: Handling;
  /** What the emulator does, in one sentence. */
  what: string;
}

const BOTH = ['chat', 'completions'] as const;
const CHAT = ['chat'] as const;

export const INFERENCE_PARAMETERS: readonly ParameterRow[] = [
  { name: 'model', endpoints: BOTH, handling: 'honoured', what: 'Looked up in the catalog: 404 model_not_found, 400 model_not_available (non-serverless), 403 below the tier, 400 for a model of another type.' },
  { name: 'messages', endpoints: CHAT, handling: 'honoured', what: 'Counted with the model family\'s chat template and tokenizer; the answer is drawn from them.' },
  { name: 'prompt', endpoints: ['completions'], handling: 'honoured', what: 'Counted with the model\'s tokenizer; the answer is drawn from it.' },
  { name: 'max_tokens', endpoints: BOTH, handling: 'honoured', what: 'The answer stops at exactly max_tokens (finish_reason length); prompt + max_tokens over the context is a 400.' },
  { name: 'stop', endpoints: BOTH, handling: 'honoured', what: 'The answer is cut before the first stop string (not included), finish_reason stop.' },
  { name: 'n', endpoints: BOTH, handling: 'honoured', what: 'n choices (1-128), each drawn separately; usage counts them all.' },
  { name: 'seed', endpoints: BOTH, handling: 'honoured', what: 'Same seed, same answer (text, JSON, tool calls); reported back on each choice.' },
  { name: 'stream', endpoints: BOTH, handling: 'honoured', what: 'SSE chunks as Together frames them, ending with data: [DONE].' },
  { name: 'logprobs', endpoints: BOTH, handling: 'honoured', what: 'k > 0 (or true): each answer carries LogprobsPart (token_ids, tokens, token_logprobs); each stream chunk its logprob and top-k top_logprobs.' },
  { name: 'top_logprobs', endpoints: BOTH, handling: 'honoured', what: 'OpenAI-style: with logprobs true, how many alternatives each stream chunk lists (0-20).' },
  { name: 'echo', endpoints: BOTH, handling: 'honoured', what: 'The prompt (chat: as the model\'s template renders it) is returned in prompt[] (with logprobs when asked), on the first chunk of a stream.' },
  { name: 'context_length_exceeded_behavior', endpoints: CHAT, handling: 'honoured', what: 'truncate: max_tokens lowered to what the context leaves; a prompt that alone fills the context is cut from its start. error (default): 400.' },
  { name: 'response_format', endpoints: CHAT, handling: 'honoured', what: 'json_schema: the answer is JSON valid against the schema (strict or not; $defs/$ref, anyOf, enums, bounds, formats); json_object: a JSON object, following a JSON Schema written in the messages when there is one (as the AI SDK and LangChain write it); text: prose.' },
  { name: 'tools', endpoints: CHAT, handling: 'honoured', what: 'Checked (type function, name, parameters a schema); called functions get arguments valid against their parameters.' },
  { name: 'tool_choice', endpoints: CHAT, handling: 'honoured', what: 'none: text; auto: one call unless the last message is a tool result; required: a call to every tool (one when parallel_tool_calls is false); {function: {name}}: that tool. finish_reason tool_calls.' },
  { name: 'parallel_tool_calls', endpoints: CHAT, handling: 'honoured', what: 'false: at most one call per answer.' },
  { name: 'function_call', endpoints: CHAT, handling: 'honoured', what: 'Deprecated alias of tool_choice ("none", "auto", {name}), used when tool_choice is absent.' },
  { name: 'reasoning', endpoints: CHAT, handling: 'honoured', what: '{enabled: true} makes hybrid reasoning models (DeepSeek V3.1, GLM 4.5, Qwen3) think; reasoning models always do. The thinking is message.reasoning / delta.reasoning and counts toward max_tokens.' },
  { name: 'reasoning_effort', endpoints: CHAT, handling: 'honoured', what: 'low / medium / high: shorter or longer thinking on reasoning models; no effect on others.' },
  { name: 'chat_template_kwargs', endpoints: CHAT, handling: 'honoured', what: 'enable_thinking true/false switches thinking on hybrid reasoning models; other keys are accepted.' },
  { name: 'safety_model', endpoints: BOTH, handling: 'honoured', what: 'Must be a moderation model of the catalog (400 otherwise); the emulator\'s answers always pass it.' },
  { name: 'compliance', endpoints: CHAT, handling: 'honoured', what: 'Only "hipaa" is accepted (400 otherwise); no effect on the answer.' },
  { name: 'stream_options', endpoints: BOTH, handling: 'validated, no effect', what: 'Accepted as Together accepts it; usage is on the last chunk either way, as Together sends it.' },
  { name: 'temperature', endpoints: BOTH, handling: 'validated, no effect', what: '0-2 checked; the emulator\'s text is a seeded draw with no distribution to sharpen or flatten.' },
  { name: 'top_p', endpoints: BOTH, handling: 'validated, no effect', what: '0-1 checked; no distribution to truncate.' },
  { name: 'top_k', endpoints: BOTH, handling: 'validated, no effect', what: 'Integer checked; no distribution to truncate.' },
  { name: 'min_p', endpoints: BOTH, handling: 'validated, no effect', what: '0-1 checked; no distribution to truncate.' },
  { name: 'repetition_penalty', endpoints: BOTH, handling: 'validated, no effect', what: 'Number checked; no distribution to penalise.' },
  { name: 'presence_penalty', endpoints: BOTH, handling: 'validated, no effect', what: '-2 to 2 checked; no distribution to penalise.' },
  { name: 'frequency_penalty', endpoints: BOTH, handling: 'validated, no effect', what: '-2 to 2 checked; no distribution to penalise.' },
  { name: 'logit_bias', endpoints: BOTH, handling: 'validated, no effect', what: 'Object of token id → number checked; no logits to bias.' },
];

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface ParamContext {
  /** Whether `id` is a serverless moderation model (valid as `safety_model`). */
  isSafetyModel: (id: string) => boolean;
}

/** The checks on a chat or completions body beyond its zod schema; the first problem as a 400. */
export function checkInferenceParams(body: Record<string, unknown>, context: ParamContext): EmulatorError | undefined {
  const format = body.response_format;
  if (isObject(format) && format.type === 'json_schema') {
    const spec = format.json_schema;
    if (!isObject(spec)) {
      return invalidRequest('`response_format.json_schema` is required with type "json_schema": send {"name": "...", "schema": {...}, "strict": true}.', 'response_format');
    }
    if (typeof spec.name !== 'string' || !NAME.test(spec.name)) {
      return invalidRequest('`response_format.json_schema.name` must be 1-64 characters of a-z, A-Z, 0-9, _ or -.', 'response_format');
    }
    if (spec.schema !== undefined && spec.schema !== null && !isObject(spec.schema)) {
      return invalidRequest('`response_format.json_schema.schema` must be a JSON Schema object.', 'response_format');
    }
    if (spec.strict !== undefined && spec.strict !== null && typeof spec.strict !== 'boolean') {
      return invalidRequest('`response_format.json_schema.strict` must be true, false or null.', 'response_format');
    }
  }
  if (body.compliance !== undefined && body.compliance !== null && body.compliance !== 'hipaa') {
    return invalidRequest('`compliance` must be "hipaa" when set.', 'compliance');
  }
  const top = body.top_logprobs;
  if (top !== undefined && top !== null && (typeof top !== 'number' || !Number.isInteger(top) || top < 0 || top > 20)) {
    return invalidRequest('`top_logprobs` must be an integer from 0 to 20.', 'top_logprobs');
  }
  if (typeof body.safety_model === 'string' && !context.isSafetyModel(body.safety_model)) {
    return invalidRequest(
      `\`safety_model\` "${body.safety_model}" is not a moderation model. Use one from GET /v1/models with type "moderation", e.g. "meta-llama/Meta-Llama-Guard-3-8B".`,
      'safety_model',
    );
  }
  const kwargs = body.chat_template_kwargs;
  if (isObject(kwargs) && kwargs.enable_thinking !== undefined && typeof kwargs.enable_thinking !== 'boolean') {
    return invalidRequest('`chat_template_kwargs.enable_thinking` must be true or false.', 'chat_template_kwargs');
  }
  return undefined;
}

/** How many top alternatives a request's logprobs ask for: Together's integer, or OpenAI's true + top_logprobs. */
export function requestedLogprobs(body: { logprobs?: boolean | number | null; top_logprobs?: unknown }): number {
  if (body.logprobs === true) return typeof body.top_logprobs === 'number' && body.top_logprobs > 0 ? body.top_logprobs : 1;
  return typeof body.logprobs === 'number' ? body.logprobs : 0;
}
