// The gateway's check of a request body's bytes, before the pipeline sees it: JSON, an object, not nested deeper
// than the pipeline's limit (counted on the bytes, without recursion, before parsing), and a model id of bounded
// length. Pure: the handler writes the reply. The pipeline checks the same bounds on the parsed value (for library
// callers); checking them here first means nothing recursive ever runs on such a body, and the answer is the same.
import { MAX_MODEL_ID_LENGTH } from '../catalog/index.js';
import { MAX_BODY_DEPTH, jsonTextTooDeep } from '../pipeline/index.js';
import { bodyTooDeep, malformedJson, modelIdTooLong, notJsonObject } from './envelope.js';
import type { ErrorReply } from './envelope.js';

export { MAX_BODY_DEPTH, MAX_MODEL_ID_LENGTH };

export type BodyCheck = { ok: true; body: Record<string, unknown> } | { ok: false; reply: ErrorReply };

function parse(raw: Buffer): { ok: true; value: unknown } | { ok: false; detail: string } {
  if (raw.length === 0) return { ok: false, detail: 'the body is empty' };
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}

/** Checks a request body's bytes; never throws, whatever they are. */
export function checkRequestBytes(raw: Buffer): BodyCheck {
  if (jsonTextTooDeep(raw, MAX_BODY_DEPTH)) return { ok: false, reply: bodyTooDeep(MAX_BODY_DEPTH) };
  const parsed = parse(raw);
  if (!parsed.ok) return { ok: false, reply: malformedJson(parsed.detail) };
  const value = parsed.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reply: notJsonObject() };
  const body = value as Record<string, unknown>;
  const model = body['model'];
  if (typeof model === 'string' && model.length > MAX_MODEL_ID_LENGTH) return { ok: false, reply: modelIdTooLong(model.length, MAX_MODEL_ID_LENGTH) };
  return { ok: true, body };
}
