// GET /models through a transport: Together answers a bare JSON array of ModelInfo.
import { classify, notTogetherAnswerError, scrubberFor } from '../errors/index.js';
import type { KeySource, TogetherError } from '../errors/index.js';
import { PATHS } from './paths.js';
import type { Transport } from './transport.js';
import type { ModelInfo } from './types.js';

export interface ListModelsOptions {
  signal?: AbortSignal | undefined;
  /** Overrides the transport's key for this call. */
  apiKey?: string | undefined;
  /** Where the key came from, so a 401 names the right place to fix it. */
  keySource?: KeySource | undefined;
  /** Values an error must never repeat (the keys in use); the key this call is sent with is always one. */
  secrets?: readonly string[] | undefined;
}

function invalidListError(url: string, what: string): TogetherError {
  return notTogetherAnswerError({ status: 200, message: `GET ${url} answered 200 but ${what}` });
}

/**
 * Pick the model entries out of a `/models` body: Together's bare array, or the OpenAI-style `{data: [...]}`
 * some proxies answer. Entries without a string `id` are dropped. Returns undefined when the body is neither.
 */
export function parseModelList(body: unknown): ModelInfo[] | undefined {
  const list = Array.isArray(body) ? body : (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(list)) return undefined;
  return list.filter(
    (entry): entry is ModelInfo => typeof entry === 'object' && entry !== null && typeof (entry as { id?: unknown }).id === 'string',
  );
}

/** The live model list. A non-2xx answer is thrown as a classified TogetherError. */
export async function listModels(transport: Transport, options: ListModelsOptions = {}): Promise<ModelInfo[]> {
  const response = await transport.send({ method: 'GET', path: PATHS.models, signal: options.signal, apiKey: options.apiKey });
  const text = await response.body.text();
  const secrets = [...(options.secrets ?? []), ...(options.apiKey !== undefined ? [options.apiKey] : [])];
  if (response.status < 200 || response.status >= 300) {
    throw classify({ status: response.status, headers: response.headers, body: text, keySource: options.keySource, secrets });
  }
  let parsed: unknown;
  try {
    // A list that echoes a key (as an id, a name) must not hand it to whoever lists the models.
    parsed = JSON.parse(secrets.length > 0 ? scrubberFor(secrets).exact(text) : text);
  } catch {
    throw invalidListError(response.url, 'the body is not JSON');
  }
  const models = parseModelList(parsed);
  if (models === undefined) throw invalidListError(response.url, 'the body is not a list of models');
  return models;
}
