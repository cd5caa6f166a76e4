// Bounds on the size of what a request body may list, checked before the schema and before any token is counted.
// Each list below costs work per entry somewhere (the schema walk, chat-template rendering at ~60 µs a message,
// stop-string matching, logit-bias maps, tokenizing tool definitions): 500,000 stop strings held the emulator 3.6 s
// and the gateway 1.6 s; 300,000 one-letter messages 50 s. Together documents none of these figures, so each is a
// default far above real use (OpenAI's documented caps where one exists: 128 tools, 2048 embedding inputs, 4 stops).
// Pure: the caller turns a finding into its own 400.

export const BODY_BOUNDS = {
  /** Messages in one chat request (a long agent transcript has hundreds; the template's cost is per message). */
  maxMessages: 10_000,
  /** Content parts (text, image_url, …) in one message. */
  maxContentParts: 1_000,
  /** Tool definitions in one request (OpenAI's documented cap). */
  maxTools: 128,
  /** Stop sequences in `stop`. */
  maxStopSequences: 16,
  /** Characters in one stop sequence. */
  maxStopChars: 1_000,
  /** Token ids in `logit_bias`. */
  maxLogitBiasEntries: 1_024,
  /** Inputs in one embeddings request, and prompts in one completions request (OpenAI's documented cap). */
  maxInputs: 2_048,
} as const;

/** What is out of bounds: the field as a person writes it, and what is wrong with it. */
export interface BoundsFinding {
  path: string;
  message: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function tooMany(path: string, count: number, max: number, what: string): BoundsFinding {
  return { path, message: `\`${path}\` holds ${count} ${what}; at most ${max} are accepted in one request` };
}

/** Whether `stop` is within bounds (a string, or a short list of short strings): the gateway's fast path asks this. */
export function stopWithinBounds(stop: unknown): boolean {
  if (typeof stop === 'string') return stop.length <= BODY_BOUNDS.maxStopChars;
  if (!Array.isArray(stop)) return true; // the schema says what is wrong with it
  if (stop.length > BODY_BOUNDS.maxStopSequences) return false;
  return stop.every((item) => typeof item !== 'string' || item.length <= BODY_BOUNDS.maxStopChars);
}

function checkStop(stop: unknown): BoundsFinding | undefined {
  if (stopWithinBounds(stop)) return undefined;
  if (Array.isArray(stop) && stop.length > BODY_BOUNDS.maxStopSequences) return tooMany('stop', stop.length, BODY_BOUNDS.maxStopSequences, 'stop sequences');
  const index = Array.isArray(stop) ? stop.findIndex((item) => typeof item === 'string' && item.length > BODY_BOUNDS.maxStopChars) : -1;
  const path = index >= 0 ? `stop[${index}]` : 'stop';
  return { path, message: `\`${path}\` is longer than ${BODY_BOUNDS.maxStopChars} characters, the most a stop sequence may have` };
}

function checkMessages(messages: unknown): BoundsFinding | undefined {
  if (!Array.isArray(messages)) return undefined;
  if (messages.length > BODY_BOUNDS.maxMessages) return tooMany('messages', messages.length, BODY_BOUNDS.maxMessages, 'messages');
  for (let i = 0; i < messages.length; i++) {
    const content = (messages[i] as { content?: unknown } | null)?.content;
    if (Array.isArray(content) && content.length > BODY_BOUNDS.maxContentParts) {
      return tooMany(`messages[${i}].content`, content.length, BODY_BOUNDS.maxContentParts, 'content parts');
    }
  }
  return undefined;
}

function checkLogitBias(bias: unknown): BoundsFinding | undefined {
  if (!isRecord(bias)) return undefined;
  let count = 0;
  for (const key in bias) if (Object.hasOwn(bias, key) && ++count > BODY_BOUNDS.maxLogitBiasEntries) break;
  return count > BODY_BOUNDS.maxLogitBiasEntries
    ? { path: 'logit_bias', message: `\`logit_bias\` holds more than ${BODY_BOUNDS.maxLogitBiasEntries} token ids; at most ${BODY_BOUNDS.maxLogitBiasEntries} are accepted` }
    : undefined;
}

function checkList(body: Record<string, unknown>, field: string, max: number, what: string): BoundsFinding | undefined {
  const value = body[field];
  return Array.isArray(value) && value.length > max ? tooMany(field, value.length, max, what) : undefined;
}

/** The first list in `body` past its bound, or undefined. Fields of the wrong type are left to the schema. */
export function findOutOfBounds(body: unknown): BoundsFinding | undefined {
  if (!isRecord(body)) return undefined;
  return (
    checkMessages(body['messages']) ??
    checkList(body, 'tools', BODY_BOUNDS.maxTools, 'tool definitions') ??
    checkStop(body['stop']) ??
    checkLogitBias(body['logit_bias']) ??
    checkList(body, 'input', BODY_BOUNDS.maxInputs, 'inputs') ??
    checkList(body, 'prompt', BODY_BOUNDS.maxInputs, 'prompts')
  );
}
