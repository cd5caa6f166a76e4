// JSON mode without a schema (`response_format: json_object`) still gets one from clients: the Vercel AI SDK,
// LangChain and hand-written prompts put the JSON Schema in a message ("JSON schema: {...} You MUST answer with a
// JSON object that matches..."), and a real model follows it. This finds such a schema in the messages, so the
// emulator's json_object answer follows it too.

/** Characters scanned per message, and candidate objects tried per message: bounds on the work per request. */
const MAX_SCAN_CHARS = 200_000;
const MAX_CANDIDATES = 8;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Looks like a JSON Schema for an object answer (not an example value). */
function looksLikeSchema(value: unknown): value is Record<string, unknown> {
  return isObject(value) && (value.type === 'object' || typeof value.$schema === 'string') && (isObject(value.properties) || isObject(value.$defs) || typeof value.$ref === 'string');
}

/** The end index (exclusive) of the balanced JSON object starting at `start`, string-aware; -1 if unbalanced. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : '')).join('\n');
  return '';
}

/** The last JSON Schema written into the messages (system and user turns), if any. */
export function schemaFromMessages(messages: readonly { role: string; content?: unknown }[]): Record<string, unknown> | undefined {
  let found: Record<string, unknown> | undefined;
  for (const message of messages) {
    if (message.role !== 'system' && message.role !== 'user') continue;
    const text = textOf(message.content).slice(0, MAX_SCAN_CHARS);
    let from = 0;
    for (let tries = 0; tries < MAX_CANDIDATES; tries++) {
      const start = text.indexOf('{', from);
      if (start < 0) break;
      const end = objectEnd(text, start);
      if (end < 0) break;
      try {
        const value: unknown = JSON.parse(text.slice(start, end));
        if (looksLikeSchema(value)) found = value;
      } catch {
        // not JSON: try the next object
      }
      from = end;
    }
  }
  return found;
}
