// Request bodies tests send: one chat body, so a test says only what differs.

/** A small chat request for `model`; `extra` adds or overrides fields (stream, max_tokens…). */
export function chatBody(model: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model, messages: [{ role: 'user', content: 'Say hello to the test suite.' }], max_tokens: 16, ...extra };
}
