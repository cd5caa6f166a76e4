// Turns OpenAI-style chat messages (as callers send them) into one plain shape the chat renderers share.

export interface ChatMessageLike {
  role: string;
  content?: unknown;
  name?: string;
  tool_calls?: unknown;
  tool_call_id?: string;
}

export interface TextPart {
  type: 'text';
  text: string;
}

export interface NormalizedToolCall {
  id?: string;
  type: string;
  name: string;
  /** The arguments as the JSON text OpenAI sends. */
  argumentsText: string;
  /** The arguments parsed (an object), or the text when it is not JSON. */
  argumentsValue: unknown;
}

export interface NormalizedMessage {
  /** `developer` (OpenAI's newer name for system) becomes `system`. */
  role: string;
  /** The content's text: a string as is, text parts joined with "\n" (as vLLM does), '' when absent. */
  text: string;
  /** When the content was an array: its text parts, for templates that take parts (Gemma 3). */
  parts?: TextPart[];
  /** false when content was null or missing (an assistant turn that only calls tools). */
  hasContent: boolean;
  toolCalls?: NormalizedToolCall[];
  /** The caller's tool_calls as JSON, for templates that do not render tool calls. */
  toolCallsJson?: string;
  toolCallId?: string;
  name?: string;
  /** Image, audio or file parts: not counted (their token cost depends on the model's encoder). */
  nonTextParts: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function normalizeContent(content: unknown): Pick<NormalizedMessage, 'text' | 'parts' | 'hasContent' | 'nonTextParts'> {
  if (content === null || content === undefined) return { text: '', hasContent: false, nonTextParts: 0 };
  if (typeof content === 'string') return { text: content, hasContent: true, nonTextParts: 0 };
  if (Array.isArray(content)) {
    const parts: TextPart[] = [];
    let nonTextParts = 0;
    for (const part of content) {
      if (typeof part === 'string') parts.push({ type: 'text', text: part });
      else if (isRecord(part) && typeof part.text === 'string' && (part.type === 'text' || part.type === undefined)) {
        parts.push({ type: 'text', text: part.text });
      } else nonTextParts += 1;
    }
    return { text: parts.map((p) => p.text).join('\n'), parts, hasContent: true, nonTextParts };
  }
  // Any other value (an object, a number): count what would be sent, its JSON.
  return { text: JSON.stringify(content) ?? '', hasContent: true, nonTextParts: 0 };
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function normalizeToolCall(call: unknown): NormalizedToolCall {
  const record = isRecord(call) ? call : {};
  const fn = isRecord(record.function) ? record.function : record;
  const rawArgs = fn.arguments;
  const argumentsText = typeof rawArgs === 'string' ? rawArgs : (JSON.stringify(rawArgs ?? {}) ?? '{}');
  return {
    ...(typeof record.id === 'string' ? { id: record.id } : {}),
    type: typeof record.type === 'string' ? record.type : 'function',
    name: typeof fn.name === 'string' ? fn.name : '',
    argumentsText,
    argumentsValue: typeof rawArgs === 'string' ? parseArguments(rawArgs) : (rawArgs ?? {}),
  };
}

export function normalizeMessage(message: ChatMessageLike): NormalizedMessage {
  const role = message.role === 'developer' ? 'system' : String(message.role);
  const out: NormalizedMessage = { role, ...normalizeContent(message.content) };
  if (Array.isArray(message.tool_calls) && message.tool_calls.length > 0) {
    out.toolCalls = message.tool_calls.map(normalizeToolCall);
    out.toolCallsJson = JSON.stringify(message.tool_calls);
  }
  if (typeof message.tool_call_id === 'string') out.toolCallId = message.tool_call_id;
  if (typeof message.name === 'string') out.name = message.name;
  return out;
}

/** Text plus tool-call JSON: what a template that cannot render tool calls should still count. */
export function textWithToolCalls(message: NormalizedMessage): string {
  if (!message.toolCallsJson) return message.text;
  return message.text ? `${message.text}\n${message.toolCallsJson}` : message.toolCallsJson;
}

export interface ChatInput {
  messages: ChatMessageLike[];
  tools?: unknown;
}

function isMessage(value: unknown): value is ChatMessageLike {
  return isRecord(value) && typeof value.role === 'string';
}

/**
 * A chat, if `text` is JSON of one: a request body `{"messages": [...], "tools"?: [...]}` or a non-empty array
 * of messages (objects with a string `role`). Anything else (prose, other JSON) is undefined: count it as text.
 */
export function parseChatInput(text: string): ChatInput | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
  if (Array.isArray(value)) return value.length > 0 && value.every(isMessage) ? { messages: value } : undefined;
  if (isRecord(value) && Array.isArray(value.messages) && value.messages.every(isMessage)) {
    return { messages: value.messages, ...(value.tools !== undefined ? { tools: value.tools } : {}) };
  }
  return undefined;
}
