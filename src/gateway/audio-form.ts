// An audio transcription or translation request arrives as multipart/form-data (the audio file and text fields).
// The pipeline needs only its model; the form itself goes upstream as the client's bytes — rebuilt only when an
// alias renames the model. Without a `model` field, Together uses Whisper, and so does the gateway.
import { malformedForm } from './envelope.js';
import type { ErrorReply } from './envelope.js';

/** Together's default model for /audio/transcriptions and /audio/translations when the form names none. */
export const DEFAULT_AUDIO_MODEL = 'openai/whisper-large-v3';

export function isMultipart(contentType: string | string[] | undefined): boolean {
  return typeof contentType === 'string' && /^multipart\/form-data\s*;/i.test(contentType.trim());
}

export type AudioForm = { ok: true; form: { model: string; bytes: Uint8Array; contentType: string } } | { ok: false; reply: ErrorReply };

/**
 * Parses the form (already read, so bounded) for its `model`; maps an alias by rebuilding the form. Never throws: a
 * form that does not parse is a 400 saying so.
 */
export async function parseAudioForm(raw: Uint8Array, contentType: string, resolveAlias: (id: string) => string): Promise<AudioForm> {
  let form: FormData;
  try {
    form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
  } catch (error) {
    return { ok: false, reply: malformedForm((error as Error).message) };
  }
  const named = form.get('model');
  const asked = typeof named === 'string' && named.trim() !== '' ? named : DEFAULT_AUDIO_MODEL;
  const model = resolveAlias(asked);
  if (model === asked) return { ok: true, form: { model, bytes: raw, contentType } };
  form.set('model', model);
  const rebuilt = new Response(form);
  return {
    ok: true,
    form: { model, bytes: new Uint8Array(await rebuilt.arrayBuffer()), contentType: rebuilt.headers.get('content-type') ?? contentType },
  };
}
