// Bounds on the lists an inference body may carry, checked flat before the schema walks them or a tokenizer counts
// them: 500,000 stop strings held the emulator 3.6 s, 50,000 tool definitions 32 s, 300,000 messages 22 s.
// UNCONFIRMED: Together documents none of these figures; each is far above real use (OpenAI's documented caps where
// it has one: 128 tools, 4 stop sequences). Written apart from src/pipeline's bounds: the emulator stands in for
// Together, independently of the code it tests. Embedding inputs have their own limit (routes/embeddings.ts).
import { invalidRequest } from './errors.js';
import type { EmulatorError } from './errors.js';

export const REQUEST_BOUNDS = {
  maxMessages: 10_000,
  maxContentParts: 1_000,
  maxTools: 128,
  maxStopSequences: 16,
  maxStopChars: 1_000,
  maxLogitBiasEntries: 1_024,
} as const;

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function tooMany(field: string, count: number, max: number, what: string, fix: string): EmulatorError {
  return invalidRequest(`\`${field}\` holds ${count} ${what}; at most ${max} are accepted in one request. ${fix}`, field);
}

function stopError(stop: unknown): EmulatorError | undefined {
  const fix = `Send at most ${REQUEST_BOUNDS.maxStopSequences} stop sequences of at most ${REQUEST_BOUNDS.maxStopChars} characters each.`;
  if (typeof stop === 'string') return stop.length > REQUEST_BOUNDS.maxStopChars ? invalidRequest(`\`stop\` is longer than ${REQUEST_BOUNDS.maxStopChars} characters. ${fix}`, 'stop') : undefined;
  if (!Array.isArray(stop)) return undefined;
  if (stop.length > REQUEST_BOUNDS.maxStopSequences) return tooMany('stop', stop.length, REQUEST_BOUNDS.maxStopSequences, 'stop sequences', fix);
  const index = stop.findIndex((item) => typeof item === 'string' && item.length > REQUEST_BOUNDS.maxStopChars);
  return index < 0 ? undefined : invalidRequest(`\`stop[${index}]\` is longer than ${REQUEST_BOUNDS.maxStopChars} characters. ${fix}`, `stop[${index}]`);
}

function messagesError(messages: unknown): EmulatorError | undefined {
  if (!Array.isArray(messages)) return undefined;
  if (messages.length > REQUEST_BOUNDS.maxMessages) {
    return tooMany('messages', messages.length, REQUEST_BOUNDS.maxMessages, 'messages', 'Shorten the conversation.');
  }
  for (let i = 0; i < messages.length; i++) {
    const content = (messages[i] as { content?: unknown } | null)?.content;
    if (Array.isArray(content) && content.length > REQUEST_BOUNDS.maxContentParts) {
      return tooMany(`messages[${i}].content`, content.length, REQUEST_BOUNDS.maxContentParts, 'content parts', 'Join text parts into fewer parts.');
    }
  }
  return undefined;
}

function logitBiasError(bias: unknown): EmulatorError | undefined {
  if (!isRecord(bias)) return undefined;
  let count = 0;
  for (const key in bias) if (Object.hasOwn(bias, key) && ++count > REQUEST_BOUNDS.maxLogitBiasEntries) break;
  if (count <= REQUEST_BOUNDS.maxLogitBiasEntries) return undefined;
  return invalidRequest(`\`logit_bias\` holds more than ${REQUEST_BOUNDS.maxLogitBiasEntries} token ids; at most ${REQUEST_BOUNDS.maxLogitBiasEntries} are accepted.`, 'logit_bias');
}

/** The first list of an inference body past its bound, as Together-style 400, or undefined. Wrong types are the schema's. */
export function requestBoundsError(body: unknown): EmulatorError | undefined {
  if (!isRecord(body)) return undefined;
  const tools = body['tools'];
  return (
    messagesError(body['messages']) ??
    (Array.isArray(tools) && tools.length > REQUEST_BOUNDS.maxTools
      ? tooMany('tools', tools.length, REQUEST_BOUNDS.maxTools, 'tool definitions', 'Send only the tools this request may call.')
      : undefined) ??
    stopError(body['stop']) ??
    logitBiasError(body['logit_bias'])
  );
}
