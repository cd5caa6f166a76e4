// Renders a chat the way each family's server-side chat template does, so the string can be counted.
// Templates run on @huggingface/jinja 0.5 (the jinja bundled in @lenml 3.7 cannot parse Qwen3's or Gemma 3's).
import { Template } from '@huggingface/jinja';
import type { TokenizerFamily } from './families.js';
import { renderHarmony } from './harmony.js';
import { textWithToolCalls, type NormalizedMessage } from './messages.js';
import type { PackagedTemplate } from './registry.js';
import { LLAMA3_TEMPLATE } from './templates/llama3.js';
import { LLAMA3_1_TEMPLATE } from './templates/llama3_1.js';
import { MISTRAL_V1_TEMPLATE } from './templates/mistral_v1.js';
import { QWEN2_5_TEMPLATE } from './templates/qwen2_5.js';

/** Fixed dates for templates that print "today", so counts are deterministic (the count does not depend on it). */
export const LLAMA3_1_DATE_STRING = '26 Jul 2024';
export const HARMONY_DATE = '2025-06-28';

export interface RenderOptions {
  addGenerationPrompt: boolean;
  /** OpenAI-style tool definitions; only passed to templates that render them (see rendersTools). */
  tools?: readonly unknown[];
}

/**
 * How a family's template wants tool calls:
 * - inline: the template ignores tool_calls, so their JSON is appended to the content (still counted);
 * - string-args / object-args: OpenAI tool_calls with `arguments` as the JSON text / parsed (what vLLM passes
 *   to templates that apply `tojson` to them);
 * - deepseek: string arguments, content null on the tool-call turn (DeepSeek's template branches on it).
 */
type ToolCallStyle = 'inline' | 'string-args' | 'object-args' | 'deepseek';

interface JinjaFormat {
  kind: 'jinja';
  /** Template text kept in src/tokens/templates, or 'packaged' for the one in the family's tokenizer_config.json. */
  template: string | 'packaged';
  bosToken?: string;
  eosToken?: string;
  extra?: Record<string, unknown>;
  /** Pass array content as text parts (Gemma 3's template iterates them) instead of one string. */
  parts: boolean;
  toolCalls: ToolCallStyle;
  rendersTools: boolean;
  /** Roles the template does not know, mapped to ones it does (Gemma 3 has no tool role). */
  roleMap?: Record<string, string>;
}

type ChatFormat = JinjaFormat | { kind: 'harmony'; rendersTools: true };

const FORMATS: Record<TokenizerFamily, ChatFormat> = {
  llama3: { kind: 'jinja', template: LLAMA3_TEMPLATE, bosToken: '<|begin_of_text|>', eosToken: '<|eot_id|>', parts: false, toolCalls: 'inline', rendersTools: false },
  llama3_1: {
    kind: 'jinja',
    template: LLAMA3_1_TEMPLATE,
    bosToken: '<|begin_of_text|>',
    eosToken: '<|eot_id|>',
    extra: { date_string: LLAMA3_1_DATE_STRING },
    parts: false,
    toolCalls: 'object-args',
    rendersTools: true,
  },
  qwen2_5: { kind: 'jinja', template: QWEN2_5_TEMPLATE, parts: false, toolCalls: 'object-args', rendersTools: true },
  qwen3: { kind: 'jinja', template: 'packaged', parts: false, toolCalls: 'string-args', rendersTools: true },
  deepseek_v3: { kind: 'jinja', template: 'packaged', parts: false, toolCalls: 'deepseek', rendersTools: false },
  gemma3: { kind: 'jinja', template: 'packaged', parts: true, toolCalls: 'inline', rendersTools: false, roleMap: { tool: 'user' } },
  gptoss: { kind: 'harmony', rendersTools: true },
  mistral_v1: { kind: 'jinja', template: MISTRAL_V1_TEMPLATE, bosToken: '<s>', eosToken: '</s>', parts: false, toolCalls: 'inline', rendersTools: false },
};

/** Whether the family's template renders tool definitions (otherwise the caller counts their JSON apart). */
export function rendersTools(family: TokenizerFamily): boolean {
  return FORMATS[family].rendersTools;
}

function templateMessages(message: NormalizedMessage, format: JinjaFormat): Array<Record<string, unknown>> {
  const role = format.roleMap?.[message.role] ?? message.role;
  const extras: Record<string, unknown> = {};
  if (message.toolCallId !== undefined) extras.tool_call_id = message.toolCallId;
  if (message.name !== undefined) extras.name = message.name;

  if (!message.toolCalls || format.toolCalls === 'inline') {
    const text = textWithToolCalls(message);
    if (format.parts && message.parts) {
      const parts = message.toolCallsJson ? [...message.parts, { type: 'text', text: message.toolCallsJson }] : message.parts;
      return [{ role, content: parts, ...extras }];
    }
    return [{ role, content: text, ...extras }];
  }

  const tool_calls = message.toolCalls.map((call) => ({
    ...(call.id !== undefined ? { id: call.id } : {}),
    type: call.type,
    function: { name: call.name, arguments: format.toolCalls === 'object-args' ? call.argumentsValue : call.argumentsText },
  }));
  if (format.toolCalls === 'deepseek') {
    // DeepSeek's template renders tool calls only when content is none, and drops them otherwise: keep the
    // text as its own assistant turn so neither is lost.
    const calls = { role, content: null, tool_calls, ...extras };
    return message.text ? [{ role, content: message.text }, calls] : [calls];
  }
  return [{ role, content: message.text, tool_calls, ...extras }];
}

const compiled = new Map<string, Template>();

function compile(text: string): Template {
  let template = compiled.get(text);
  if (!template) {
    template = new Template(text);
    compiled.set(text, template);
  }
  return template;
}

/**
 * The prompt string a server builds from `messages` for this family. Throws when the template rejects the chat
 * (e.g. Gemma 3 with non-alternating roles) or when a packaged template's package is missing.
 */
export function renderChatTemplate(
  family: TokenizerFamily,
  messages: readonly NormalizedMessage[],
  options: RenderOptions,
  packaged: (family: TokenizerFamily) => PackagedTemplate,
): string {
  const format = FORMATS[family];
  const tools = format.rendersTools && options.tools && options.tools.length > 0 ? options.tools : undefined;
  if (format.kind === 'harmony') {
    return renderHarmony(messages, {
      addGenerationPrompt: options.addGenerationPrompt,
      date: HARMONY_DATE,
      reasoningEffort: 'medium',
      ...(tools ? { tools } : {}),
    });
  }
  const source = format.template === 'packaged' ? packaged(family) : undefined;
  const context: Record<string, unknown> = {
    messages: messages.flatMap((message) => templateMessages(message, format)),
    add_generation_prompt: options.addGenerationPrompt,
    bos_token: source?.bosToken ?? format.bosToken ?? '',
    eos_token: source?.eosToken ?? format.eosToken ?? '',
    ...format.extra,
  };
  // Only define `tools` when there are some: templates test `tools is defined` / `tools is not none`.
  if (tools) context.tools = tools;
  return compile(source?.template ?? (format.template as string)).render(context);
}
