// The chat answer shared by live requests (routes/chat.ts) and batch lines (batches/process.ts): prompt tokens
// counted with the real tokenizer (tools included), the completion budget against the context, and the
// generated choices — prose, JSON for `response_format`, tool calls for `tools`, with the thinking of reasoning
// models first. Each choice is drawn from the seeds, the model and the prompt: the same request, the same answer.
import { countChatTokens, renderChat } from '../tokens/index.js';
import type { ChatMessageLike } from '../tokens/index.js';
import type { EmulatorModel } from './catalog.js';
import { invalidRequest } from './errors.js';
import type { EmulatorError } from './errors.js';
import { choiceSeed, fitTokens, generateText } from './generate.js';
import type { ContentFormat, GeneratedText } from './generate.js';
import { schemaFromMessages } from './prompt-schema.js';
import { seededRandom } from './prng.js';
import type { Random } from './prng.js';
import { schemaInstance, UnsatisfiableSchema } from './schema-instance.js';
import { stopList, tokenCounter, completionBudget } from './text-inference.js';
import { chooseCalls, generateToolCalls, planTools } from './tool-calls.js';
import type { ToolPlan } from './tool-calls.js';
import type { ChatRequest } from './validate.js';

export type ChatGeneration =
  | {
      ok: true;
      promptTokens: number;
      choices: GeneratedText[];
      /** The prompt as the model's chat template renders it (what `echo` returns). */
      promptText: string;
    }
  | { ok: false; error: EmulatorError };

function messageLike(m: ChatRequest['messages'][number]): ChatMessageLike {
  return {
    role: m.role,
    content: m.content ?? undefined,
    ...(m.name ? { name: m.name } : {}),
    ...(m.tool_calls ? { tool_calls: m.tool_calls } : {}),
    ...(m.tool_call_id ? { tool_call_id: m.tool_call_id } : {}),
  };
}

/** Reasoning words per effort: more effort, longer thinking. */
const REASONING_WORDS = { low: { min: 8, max: 24 }, medium: { min: 24, max: 64 }, high: { min: 64, max: 160 } } as const;

function reasons(model: EmulatorModel, body: ChatRequest): boolean {
  if (model.reasoning === 'always') return true;
  if (model.reasoning !== 'optional') return false;
  const kwargs = body.chat_template_kwargs as { enable_thinking?: unknown } | null | undefined;
  return body.reasoning?.enabled === true || kwargs?.enable_thinking === true;
}

/** `fromPrompt`: a json_object request whose messages hold a schema (a wrong one falls back to plain JSON mode). */
type FormatSpec = { kind: 'text' } | { kind: 'json_object' } | { kind: 'json_schema'; schema: unknown; fromPrompt?: boolean };

function formatSpec(body: ChatRequest): FormatSpec {
  const format = body.response_format as { type: string; json_schema?: { schema?: unknown } } | null | undefined;
  if (format?.type === 'json_object') {
    // JSON mode: a schema written into the prompt is followed, as a real model follows it.
    const prompted = schemaFromMessages(body.messages);
    return prompted ? { kind: 'json_schema', schema: prompted, fromPrompt: true } : { kind: 'json_object' };
  }
  if (format?.type === 'json_schema') return { kind: 'json_schema', schema: format.json_schema?.schema ?? { type: 'object' } };
  return { kind: 'text' };
}

/** The JSON text of one answer, or the schema's problem. */
function jsonText(spec: FormatSpec, random: Random, prose: string): ContentFormat | EmulatorError {
  if (spec.kind === 'text') return { kind: 'text' };
  if (spec.kind === 'json_object') return { kind: 'json', text: JSON.stringify({ answer: prose }) };
  try {
    return { kind: 'json', text: JSON.stringify(schemaInstance(spec.schema, random)) };
  } catch (error) {
    if (!(error instanceof UnsatisfiableSchema)) throw error;
    if (spec.fromPrompt) return { kind: 'json', text: JSON.stringify({ answer: prose }) };
    return invalidRequest(
      `\`response_format.json_schema.schema\` cannot be satisfied at ${error.message}. Fix the schema (the emulator generates answers from it).`,
      'response_format',
    );
  }
}

/** tool_choice, or the deprecated function_call in its place. */
function toolChoice(body: ChatRequest): unknown {
  if (body.tool_choice !== undefined && body.tool_choice !== null) return body.tool_choice;
  const legacy = (body as { function_call?: unknown }).function_call;
  if (typeof legacy === 'object' && legacy !== null) return { type: 'function', function: legacy };
  return legacy ?? undefined;
}

export async function generateChat(emulatorSeed: number, model: EmulatorModel, body: ChatRequest): Promise<ChatGeneration> {
  const planned = planTools({ tools: body.tools, tool_choice: toolChoice(body), parallel_tool_calls: (body as { parallel_tool_calls?: unknown }).parallel_tool_calls });
  if (!planned.ok) return planned;
  const messages = body.messages.map(messageLike);
  const tools = body.tools?.length ? body.tools : undefined;
  const counted = (await countChatTokens(model.id, messages, tools ? { tools } : undefined)).tokens;
  const budget = completionBudget(model.context_length, counted, body.max_tokens ?? undefined, body.context_length_exceeded_behavior ?? 'error');
  if (!budget.ok) return budget;
  const prompt = JSON.stringify(messages.map((m) => [m.role, m.content ?? null]));
  const spec = formatSpec(body);
  const choices: GeneratedText[] = [];
  for (let index = 0; index < (body.n ?? 1); index++) {
    const choice = await generateChoice({ emulatorSeed, model, body, prompt, index, maxTokens: budget.maxTokens, spec, plan: planned.plan });
    if ('status' in choice) return { ok: false, error: choice };
    choices.push(choice);
  }
  let promptText = '';
  try {
    promptText = renderChat(model.id, messages, tools ? { tools } : undefined);
  } catch {
    promptText = messages.map((m) => `${m.role}: ${typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')}`).join('\n');
  }
  return { ok: true, promptTokens: budget.promptTokens, choices, promptText };
}

interface ChoiceInput {
  emulatorSeed: number;
  model: EmulatorModel;
  body: ChatRequest;
  prompt: string;
  index: number;
  maxTokens: number | undefined;
  spec: FormatSpec;
  plan: ToolPlan;
}

async function generateChoice(input: ChoiceInput): Promise<GeneratedText | EmulatorError> {
  const { emulatorSeed, model, body, prompt, index } = input;
  const countTokens = tokenCounter(model);
  const requestSeed = body.seed ?? undefined;
  const base = { emulatorSeed, model: model.id, prompt, choiceIndex: index, requestSeed, countTokens };
  let maxTokens = input.maxTokens;
  let reasoning: GeneratedText | undefined;
  if (reasons(model, input.body)) {
    const words = REASONING_WORDS[body.reasoning_effort ?? 'medium'];
    reasoning = await generateText({ ...base, purpose: 'reasoning', words, maxTokens });
    if (maxTokens !== undefined) maxTokens -= reasoning.completionTokens;
  }
  const withReasoning = (answer: GeneratedText): GeneratedText =>
    reasoning
      ? {
          ...answer,
          reasoning: reasoning.pieces,
          reasoningTokens: reasoning.completionTokens,
          completionTokens: answer.completionTokens + reasoning.completionTokens,
        }
      : answer;
  if (reasoning && (reasoning.finishReason === 'length' || maxTokens === 0)) {
    // The thinking used the whole budget: no answer at all, as a reasoning model cut by max_tokens gives.
    return withReasoning({ text: '', pieces: [], finishReason: 'length', completionTokens: 0, seed: reasoning.seed });
  }
  const random = seededRandom(emulatorSeed, requestSeed ?? '', model.id, prompt, index, 'structure');
  const lastRole = body.messages.at(-1)?.role;
  const called = chooseCalls(input.plan, lastRole, random);
  if (called.length) {
    const calls = generateToolCalls(called, random);
    if (!calls.ok) return calls.error;
    const text = calls.calls.map((c) => `${c.name}${c.arguments}`).join('');
    let tokens = await countTokens(text);
    let finishReason: GeneratedText['finishReason'] = 'tool_calls';
    if (maxTokens !== undefined && tokens > maxTokens) {
      // Arguments cut by max_tokens, as a real model's would be: the JSON no longer parses, finish_reason length.
      const last = calls.calls[calls.calls.length - 1];
      if (last) last.arguments = (await fitTokens([last.arguments], Math.max(0, maxTokens - (tokens - (await countTokens(last.arguments)))), countTokens)).join('');
      tokens = await countTokens(calls.calls.map((c) => `${c.name}${c.arguments}`).join(''));
      finishReason = 'length';
    }
    const seed = choiceSeed(base);
    return withReasoning({ text: '', pieces: [], finishReason, completionTokens: tokens, seed, toolCalls: calls.calls });
  }
  const needsProse = input.spec.kind === 'json_object' || (input.spec.kind === 'json_schema' && input.spec.fromPrompt === true);
  const prose = needsProse ? (await generateText({ ...base, purpose: 'json' })).text : '';
  const format = jsonText(input.spec, random, prose);
  if ('status' in format) return format;
  const answer = await generateText({ ...base, maxTokens, stop: stopList(body.stop), format });
  return withReasoning(answer);
}
