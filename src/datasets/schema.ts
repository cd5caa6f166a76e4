// The reference checks of one parsed example: format detection, top-level keys and each format's schema.
// Every verdict of the fast byte scanner (scan.ts) must agree with this file; tests hold them together.
import type { DatasetFormat, Problem, RuleOptions } from './types.js';
import { MAX_IMAGES_PER_EXAMPLE, checkContent, describeType, isPlainObject } from './content.js';
import type { ContentKind } from './content.js';
import { checkToolCalls, checkTools } from './tools.js';

/** Required keys per format, in the order Together's check tries them (the first full match wins). */
const FORMAT_KEYS: ReadonlyArray<readonly [DatasetFormat, readonly string[]]> = [
  ['text', ['text']],
  ['conversation', ['messages']],
  ['instruction', ['prompt', 'completion']],
  ['preference', ['input', 'preferred_output', 'non_preferred_output']],
];

const LEGACY_ROLES = new Set(['system', 'user', 'assistant']);
const CURRENT_ROLES = new Set(['system', 'user', 'assistant', 'tool']);

/** Where the raw text of a `weight` number is needed: `messages[2]` → "1.0". Undefined when not a number. */
export type WeightText = (messagePath: string) => string | undefined;

export interface SampleVerdict {
  /** The detected format, even when the line has problems; undefined when none matched. */
  format: DatasetFormat | undefined;
  problems: Problem[];
  /** Number of messages of a conversation (0 for other formats). */
  messages: number;
  /** The example carries reasoning (`reasoning` / `reasoning_content`): only some models train on it. */
  reasoning: boolean;
  /** The example carries tool data (`tools`, `tool_calls`, `tool` messages): only some models train on it. */
  tools: boolean;
}

interface Context {
  options: RuleOptions;
  problems: Problem[];
  weightText: WeightText;
  reasoning: boolean;
  tools: boolean;
}

const REASONING_KEYS = ['reasoning', 'reasoning_content'] as const;

/** Quotes a user-supplied name or value for a message, cut to a readable length. */
export function quote(value: unknown, max = 40): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** Checks one example (a parsed JSON object). */
export function checkSample(sample: Record<string, unknown>, options: RuleOptions, weightText: WeightText): SampleVerdict {
  const ctx: Context = { options, problems: [], weightText, reasoning: false, tools: false };
  const format = detectFormat(sample);
  if (format === undefined) {
    ctx.problems.push({ rule: 'format.unknown', message: unknownFormatMessage(Object.keys(sample)) });
    return { format, problems: ctx.problems, messages: 0, reasoning: false, tools: false };
  }
  checkExtraKeys(sample, format, ctx);
  if (options.profile === 'current' && sample.weight !== undefined && sample.weight !== null) checkSampleWeight(sample.weight, ctx.problems);
  let messages = 0;
  switch (format) {
    case 'conversation': {
      const declared = options.profile === 'current' && 'tools' in sample ? checkTools(sample.tools, ctx.problems) : undefined;
      if (declared !== undefined) ctx.tools = true;
      messages = checkMessages(sample.messages, 'messages', true, declared, ctx);
      break;
    }
    case 'preference':
      checkPreference(sample, ctx);
      break;
    case 'instruction':
      checkContent(sample.prompt, 'user', 'prompt', 'field.type', ctx.problems);
      checkContent(sample.completion, 'assistant', 'completion', 'field.type', ctx.problems);
      break;
    case 'text':
      checkContent(sample.text, 'user', 'text', 'field.type', ctx.problems);
      break;
  }
  return { format, problems: ctx.problems, messages, reasoning: ctx.reasoning, tools: ctx.tools };
}

/**
 * The per-example `weight` of Together's current formats: a loss multiplier, any number ≥ 0 (1.5 and 0.25 are
 * fine), unlike the per-message `weight`, which is the integer 0 or 1 (together-api-facts.md §11).
 */
function checkSampleWeight(weight: unknown, problems: Problem[]): void {
  if (typeof weight === 'number' && Number.isFinite(weight) && weight >= 0) return;
  let why: string;
  if (typeof weight === 'number') why = `is ${weight}; a negative multiplier is not accepted`;
  else if (typeof weight === 'string' && weight.trim() !== '' && Number.isFinite(Number(weight))) why = `is the string ${quote(weight)}; write it as a JSON number (${Number(weight)})`;
  else why = `is ${describeType(weight)}`;
  problems.push({
    rule: 'sample.weight',
    message: `weight ${why}. The example's "weight" is a loss multiplier: a number ≥ 0 (e.g. 1.0 as usual, 2.0 to count the example twice, 0 to leave it out); per-message 0/1 weights go on the messages.`,
  });
}

export function detectFormat(sample: Record<string, unknown>): DatasetFormat | undefined {
  for (const [format, keys] of FORMAT_KEYS) {
    if (keys.every((key) => key in sample)) return format;
  }
  return undefined;
}

function allowedKeys(format: DatasetFormat, options: RuleOptions): readonly string[] {
  const required = FORMAT_KEYS.find(([f]) => f === format)?.[1] ?? [];
  if (options.profile !== 'current') return required;
  // Current formats: a per-example loss multiplier on every format, tool definitions on conversations.
  return format === 'conversation' ? [...required, 'tools', 'weight'] : [...required, 'weight'];
}

function checkExtraKeys(sample: Record<string, unknown>, format: DatasetFormat, ctx: Context): void {
  const allowed = allowedKeys(format, ctx.options);
  for (const key of Object.keys(sample)) {
    if (allowed.includes(key)) continue;
    const owner = FORMAT_KEYS.find(([, keys]) => keys.includes(key))?.[0];
    let hint: string;
    if (key === 'tools' && format === 'conversation') {
      hint = 'the legacy checks (--profile legacy) reject function-calling data; drop that flag if Together accepts tools for your job';
    } else if (key === 'weight') {
      hint = 'the legacy checks (--profile legacy) predate the per-example weight; drop that flag to accept it';
    } else if (owner !== undefined) {
      hint = `it belongs to the ${owner} format and each line must use exactly one format`;
    } else {
      hint = `Together rejects keys other than ${allowed.map((k) => JSON.stringify(k)).join(', ')} for ${format} data; remove it (keep ids and metadata in a separate file)`;
    }
    ctx.problems.push({ rule: 'keys.extra', message: `extra key ${quote(key)}: ${hint}.` });
  }
}

function unknownFormatMessage(keys: string[]): string {
  const has = (key: string): boolean => keys.includes(key);
  const shown = keys.length === 0 ? 'none' : keys.slice(0, 8).map((k) => quote(k)).join(', ') + (keys.length > 8 ? ', …' : '');
  let hint = 'use {"messages": [...]}, {"prompt": ..., "completion": ...}, {"text": ...} or {"input": ..., "preferred_output": [...], "non_preferred_output": [...]}';
  if (has('prompt') !== has('completion')) {
    hint = `instruction data needs both "prompt" and "completion" (this line has only ${has('prompt') ? '"prompt"' : '"completion"'})`;
  } else if (has('input') || has('preferred_output') || has('non_preferred_output')) {
    hint = 'preference data needs all of "input", "preferred_output" and "non_preferred_output"';
  } else if (has('chosen') || has('rejected')) {
    hint = 'for preference data, name the keys "input", "preferred_output" and "non_preferred_output"';
  } else if (has('conversations') || has('conversation')) {
    hint = 'name the message list "messages", with {"role", "content"} items';
  }
  return `cannot tell the dataset format (keys: ${shown}); ${hint}.`;
}

function roleHint(role: unknown, options: RuleOptions): string {
  const allowed = [...(options.profile === 'current' ? CURRENT_ROLES : LEGACY_ROLES)].join(', ');
  if (typeof role !== 'string') return `role is ${describeType(role)}; it must be one of ${allowed}`;
  const lower = role.toLowerCase();
  let hint = '';
  if (role === 'tool') hint = '; the legacy checks (--profile legacy) reject tool messages, drop that flag to accept function-calling data';
  else if (lower !== role && (LEGACY_ROLES.has(lower) || lower === 'tool')) hint = `; roles are lower-case, write ${quote(lower)}`;
  else if (lower === 'developer') hint = '; use "system"';
  else if (lower === 'function') hint = options.profile === 'current' ? '; use "tool"' : '';
  else if (lower === 'human') hint = '; use "user"';
  else if (lower === 'gpt' || lower === 'bot' || lower === 'model') hint = '; use "assistant"';
  return `role ${quote(role)} is not one of ${allowed}${hint}`;
}

/** Checks a message list; returns its length when it is a list, else 0. */
function checkMessages(messages: unknown, path: string, requireAssistant: boolean, declared: Set<string> | undefined, ctx: Context): number {
  const { problems, options } = ctx;
  if (!Array.isArray(messages)) {
    problems.push({ rule: 'messages.type', message: `${path} is ${describeType(messages)}; it must be a list of {"role", "content"} objects.` });
    return 0;
  }
  if (messages.length === 0) {
    problems.push({ rule: 'messages.empty', message: `${path} is empty; add the conversation's messages or drop the line (Together rejects empty conversations).` });
    return 0;
  }
  const roles = options.profile === 'current' ? CURRENT_ROLES : LEGACY_ROLES;
  const kinds = new Set<ContentKind>();
  let previousRole: string | undefined;
  let hasAssistant = false;
  let images = 0;
  messages.forEach((message: unknown, index) => {
    const where = `${path}[${index}]`;
    if (!isPlainObject(message)) {
      problems.push({ rule: 'message.type', message: `${where} is ${describeType(message)}; each message must be an object {"role": ..., "content": ...}.` });
      previousRole = undefined;
      return;
    }
    const role = message.role;
    const roleName = typeof role === 'string' ? role : '';
    if (!('role' in message)) {
      problems.push({ rule: 'message.role-missing', message: `${where} has no "role"; add "role": "user", "assistant" or "system".` });
    } else if (typeof role !== 'string' || !roles.has(role)) {
      problems.push({ rule: 'message.role-invalid', message: `${where}: ${roleHint(role, options)}.` });
    } else {
      if (role === previousRole && !options.allowSameRoleRuns && role !== 'tool') {
        problems.push({
          rule: 'message.role-repeat',
          message: `${where} is a second ${role} message in a row; merge the two messages or insert the missing turn (or pass --allow-same-role-runs if your job accepts this).`,
        });
      }
      if (role === 'assistant') hasAssistant = true;
    }
    previousRole = typeof role === 'string' ? role : undefined;
    if (role === 'tool' && options.profile === 'current') ctx.tools = true;
    if (options.profile === 'current') checkReasoning(message, where, ctx);

    // The newer Python SDK drops null-valued keys first: "tool_calls": null or "weight": null (common in
    // OpenAI-style exports) mean no calls and no weight. The legacy checks take the keys as they are.
    const present = (key: string): boolean => key in message && !(options.profile === 'current' && (message[key] === null || (key === 'tool_calls' && Array.isArray(message[key]) && message[key].length === 0)));
    const hasCalls = options.profile === 'current' && present('tool_calls') && checkToolCalls(message, where, declared, problems);
    if (hasCalls) ctx.tools = true;
    let messageImages = 0;
    if (hasCalls && (message.content === undefined || message.content === null || message.content === '')) {
      // A tool-calling assistant turn needs no text (current docs).
    } else if (!('content' in message)) {
      problems.push({ rule: 'message.content-missing', message: `${where} has no "content"; add the message text as "content".` });
    } else {
      const result = checkContent(message.content, roleName, `${where}.content`, 'message.content-type', problems);
      if (result.kind !== 'invalid') kinds.add(result.kind);
      messageImages = result.images;
    }
    images += messageImages;
    if (present('weight')) checkWeight(message.weight, where, messageImages, ctx);
  });
  if (kinds.size > 1) {
    problems.push({
      rule: 'messages.mixed-content',
      message: `${path} mixes string content and content-part lists; use one form for every message of the example (e.g. [{"type": "text", "text": "..."}] everywhere).`,
    });
  }
  if (images > MAX_IMAGES_PER_EXAMPLE) {
    problems.push({ rule: 'content.image-count', message: `${path} holds ${images} images; Together allows at most ${MAX_IMAGES_PER_EXAMPLE} per example. Split the conversation.` });
  }
  if (requireAssistant && !hasAssistant) {
    problems.push({ rule: 'messages.no-assistant', message: `${path} has no assistant message; add the assistant's reply (fine-tuning trains on assistant turns).` });
  }
  return messages.length;
}

/**
 * `reasoning` or `reasoning_content` (Together's reasoning format): the assistant's chain of thought as a
 * string, next to its `content`. Null counts as absent, like the other optional keys of the current format.
 */
function checkReasoning(message: Record<string, unknown>, where: string, ctx: Context): void {
  const given = REASONING_KEYS.filter((key) => message[key] !== undefined && message[key] !== null);
  if (given.length === 0) return;
  ctx.reasoning = true;
  const fail = (why: string): void => void ctx.problems.push({ rule: 'message.reasoning', message: `${where} ${why}` });
  if (given.length > 1) return fail('has both "reasoning" and "reasoning_content"; keep one (they are two names for the same chain of thought).');
  const key = given[0]!;
  if (message.role !== 'assistant') {
    return fail(`has "${key}" but role ${quote(message.role)}; only assistant messages carry reasoning. Move it to the assistant's reply or drop it.`);
  }
  if (typeof message[key] !== 'string') fail(`.${key} is ${describeType(message[key])}; it must be a string holding the chain of thought.`);
}

function checkWeight(weight: unknown, where: string, images: number, ctx: Context): void {
  const text = ctx.weightText(where);
  const integerLiteral = text === undefined || /^-?[01]$/.test(text);
  if (typeof weight === 'boolean') {
    ctx.problems.push({ rule: 'message.weight', message: `${where}.weight is ${String(weight)}; write ${weight ? 1 : 0} (weight must be the integer 0 or 1).` });
  } else if (typeof weight !== 'number' || (weight !== 0 && weight !== 1)) {
    ctx.problems.push({ rule: 'message.weight', message: `${where}.weight is ${typeof weight === 'number' ? (text ?? String(weight)) : describeType(weight)}; it must be the integer 0 (do not train on this message) or 1 (train on it).` });
  } else if (!integerLiteral) {
    ctx.problems.push({ rule: 'message.weight', message: `${where}.weight is written ${text}; write ${weight} (Together reads ${text} as a float and rejects it).` });
  } else if (images > 0 && weight !== 0) {
    ctx.problems.push({ rule: 'message.image-weight', message: `${where} has images and weight ${weight}; messages with images cannot be trained on, set "weight": 0 or remove it.` });
  }
}

function checkPreference(sample: Record<string, unknown>, ctx: Context): void {
  const { problems } = ctx;
  const input = sample.input;
  if (!isPlainObject(input)) {
    problems.push({ rule: 'preference.input', message: `input is ${describeType(input)}; it must be an object {"messages": [...]} holding the prompt conversation.` });
  } else if (!('messages' in input)) {
    problems.push({ rule: 'preference.input', message: 'input has no "messages"; write {"input": {"messages": [...]}, ...}.' });
  } else {
    // Preference data with function calling keeps its tool definitions inside `input` (current docs).
    let declared: Set<string> | undefined;
    if (ctx.options.profile === 'current' && 'tools' in input) {
      declared = checkTools(input.tools, problems);
      ctx.tools = true;
    }
    checkMessages(input.messages, 'input.messages', false, declared, ctx);
    const messages = input.messages;
    if (Array.isArray(messages) && messages.length > 0) {
      const last: unknown = messages[messages.length - 1];
      if (isPlainObject(last) && last.role === 'assistant') {
        problems.push({ rule: 'preference.last-turn', message: 'the last input message is from the assistant; the input must end on the turn the outputs answer (usually a user message).' });
      }
    }
  }
  const declared = isPlainObject(input) && ctx.options.profile === 'current' && Array.isArray(input.tools) ? toolNames(input.tools) : undefined;
  const withReasoning: boolean[] = [];
  for (const key of ['preferred_output', 'non_preferred_output'] as const) {
    withReasoning.push(checkPreferenceOutput(sample[key], key, declared, ctx));
  }
  if (withReasoning[0] !== withReasoning[1]) {
    const [has, lacks] = withReasoning[0] ? ['preferred_output', 'non_preferred_output'] : ['non_preferred_output', 'preferred_output'];
    problems.push({
      rule: 'preference.reasoning',
      message: `${has} carries reasoning but ${lacks} does not; Together's reasoning preference format gives both outputs a "reasoning" (add one to ${lacks}).`,
    });
  }
}

/** The names `tools` declares, for checking the outputs' calls (its own problems are reported with input). */
function toolNames(tools: unknown[]): Set<string> {
  const names = new Set<string>();
  for (const tool of tools) if (isPlainObject(tool) && isPlainObject(tool.function) && typeof tool.function.name === 'string') names.add(tool.function.name);
  return names;
}

/** Checks one preference output; returns whether its message carries reasoning. */
function checkPreferenceOutput(output: unknown, key: string, declared: Set<string> | undefined, ctx: Context): boolean {
  const { problems } = ctx;
  const fail = (why: string): false => {
    problems.push({ rule: 'preference.output', message: `${key} ${why}; it must be a list of exactly one message [{"role": "assistant", "content": "..."}].` });
    return false;
  };
  if (!Array.isArray(output)) return fail(`is ${describeType(output)}`);
  if (output.length !== 1) return fail(`has ${output.length} messages`);
  const message: unknown = output[0];
  if (!isPlainObject(message)) return fail(`holds ${describeType(message)}`);
  if (!('role' in message)) return fail('has a message without "role"');
  if (message.role !== 'assistant') return fail(`has role ${quote(message.role)}`);
  const current = ctx.options.profile === 'current';
  // A preferred tool call needs no text (current docs: {"role": "assistant", "tool_calls": [...]}).
  // As in conversations, null or [] tool_calls mean none (OpenAI-style exports write them).
  const calls = message.tool_calls;
  const hasCalls = current && calls !== undefined && calls !== null && !(Array.isArray(calls) && calls.length === 0) && checkToolCalls(message, `${key}[0]`, declared, problems);
  if (hasCalls) ctx.tools = true;
  if (hasCalls && (message.content === undefined || message.content === null || message.content === '')) {
    // nothing more to check in content
  } else if (!('content' in message)) {
    return fail('has a message without "content"');
  } else {
    checkContent(message.content, 'assistant', `${key}[0].content`, 'preference.output', problems);
  }
  if (!current) return false;
  const before = ctx.reasoning;
  ctx.reasoning = false;
  checkReasoning(message, `${key}[0]`, ctx);
  const has = ctx.reasoning;
  ctx.reasoning ||= before;
  return has;
}
