// resilientFetch: a `fetch` that any OpenAI-compatible SDK (openai, together-ai) accepts through its `fetch` option,
// so users keep their SDK and gain the pipeline. POST …/chat/completions, …/completions and …/embeddings go through
// the pipeline; other API paths (models, files, fine-tunes…) go straight to the pipeline's base URL with its key;
// URLs that are not API calls (no `/v1` segment, e.g. a pre-signed upload URL) go to the global fetch untouched.
// Give the SDK `maxRetries: 0`: retrying is the pipeline's job (error responses also say `x-should-retry: false`).
import { createTransport } from '../api/index.js';
import type { Transport } from '../api/index.js';
import { TogetherError } from '../errors/index.js';
import type { Endpoint, Pipeline, PipelineResult } from './contract.js';
import { errorResponse, forwardHeaders, iterableStream, jsonResponse, streamResponse } from './http-response.js';
import { resolveApiKey } from './options.js';
import type { PipelineOptions } from './options.js';
import { createPipeline } from './pipeline.js';

export interface ResilientFetchOptions extends PipelineOptions {
  /** An existing pipeline to send through (shared with a client or gateway; not closed by `close()`). */
  pipeline?: Pipeline | undefined;
}

export type FetchInput = string | URL | Request;

export interface ResilientFetch {
  (input: FetchInput, init?: RequestInit): Promise<Response>;
  readonly pipeline: Pipeline;
  /** Closes what this fetch created (its pipeline unless one was given, and its pass-through transport). */
  close(): Promise<void>;
}

const ROUTED: Readonly<Record<string, Endpoint>> = {
  '/chat/completions': 'chat',
  '/completions': 'completions',
  '/embeddings': 'embeddings',
};

/** The path after the URL's `/v1` segment (`/v1/chat/completions` → `/chat/completions`); undefined without one. */
export function apiPath(pathname: string): string | undefined {
  const match = /(?:^|\/)v1(\/.*)?$/.exec(pathname);
  if (match === null) return undefined;
  const rest = match[1] ?? '/';
  return rest.length > 1 ? rest.replace(/\/+$/, '') : rest;
}

function bearer(headers: Headers): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(headers.get('authorization')?.trim() ?? '');
  return match?.[1]?.trim() || undefined;
}

function badBody(detail: string): TogetherError {
  return new TogetherError({
    category: 'validation',
    code: 'invalid_json',
    message: `The request body is not valid JSON: ${detail}`,
    cause: 'The body sent through resilientFetch could not be parsed, so it was not sent.',
    fix: 'Send a JSON body (the SDKs do this for you).',
    retryable: false,
  });
}

/** Request headers worth passing on (not the connection's, not the key: the transport sets its own). */
const DROPPED_REQUEST_HEADERS = new Set(['host', 'authorization', 'content-length', 'connection', 'accept-encoding', 'transfer-encoding', 'keep-alive']);

interface IncomingCall {
  url: URL;
  method: string;
  headers: Headers;
  signal: AbortSignal | undefined;
  /** The body as fetch would send it; read at most once. */
  body: () => Response;
}

function incoming(input: FetchInput, init: RequestInit | undefined): IncomingCall {
  const request = input instanceof Request ? input : undefined;
  const url = new URL(request?.url ?? (input instanceof URL ? input.href : String(input)));
  const headers = new Headers(init?.headers ?? request?.headers);
  const signal = init?.signal ?? request?.signal ?? undefined;
  const body = (): Response => new Response(init?.body !== undefined ? init.body : (request?.clone().body ?? null));
  return { url, method: (init?.method ?? request?.method ?? 'GET').toUpperCase(), headers, signal, body };
}

export function resilientFetch(options: ResilientFetchOptions = {}): ResilientFetch {
  const pipeline = options.pipeline ?? createPipeline(options);
  const ownsPipeline = options.pipeline === undefined;
  const explicitKey = Boolean(options.apiKey?.trim());
  const { apiKey: defaultKey } = resolveApiKey(options);
  let passthrough: Transport | undefined;
  const transport = (): Transport =>
    (passthrough ??= options.transport ?? createTransport({ baseUrl: options.baseUrl, apiKey: defaultKey, env: options.env }));

  async function routed(call: IncomingCall, endpoint: Endpoint): Promise<Response> {
    let body: unknown;
    const text = await call.body().text();
    try {
      body = JSON.parse(text);
    } catch (error) {
      return errorResponse(badBody((error as Error).message));
    }
    let result: PipelineResult;
    try {
      result = await pipeline.send({
        endpoint,
        body,
        // The SDK's key, unless this fetch was given one explicitly.
        ...(!explicitKey && bearer(call.headers) !== undefined ? { apiKey: bearer(call.headers) as string } : {}),
        ...(call.signal !== undefined ? { signal: call.signal } : {}),
        ...(call.headers.get('x-request-id') ? { requestId: call.headers.get('x-request-id') as string } : {}),
      });
    } catch (error) {
      // An abort is the caller's own: reject as fetch does, so the SDK reports it as one.
      if (call.signal?.aborted) throw call.signal.reason;
      return errorResponse(error as TogetherError);
    }
    return result.kind === 'json' ? jsonResponse(result) : streamResponse(result);
  }

  async function forwarded(call: IncomingCall, path: string): Promise<Response> {
    const headers: Record<string, string> = {};
    call.headers.forEach((value, name) => {
      if (!DROPPED_REQUEST_HEADERS.has(name)) headers[name] = value;
    });
    let body: Uint8Array | undefined;
    if (call.method !== 'GET' && call.method !== 'HEAD') {
      const carrier = call.body();
      // FormData and URLSearchParams bodies get their content type (with the multipart boundary) here.
      const type = carrier.headers.get('content-type');
      if (type !== null && headers['content-type'] === undefined) headers['content-type'] = type;
      body = new Uint8Array(await carrier.arrayBuffer());
    }
    const key = explicitKey ? undefined : bearer(call.headers);
    const response = await transport().send({
      method: call.method as 'GET',
      path: path + call.url.search,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(key !== undefined ? { apiKey: key } : {}),
      ...(call.signal !== undefined ? { signal: call.signal } : {}),
    });
    const stream = call.method === 'HEAD' || response.status === 204 || response.status === 304 ? null : iterableStream(response.body, (chunk) => chunk);
    return new Response(stream, { status: response.status, headers: forwardHeaders(response.headers, true) });
  }

  const fetchFn = async (input: FetchInput, init?: RequestInit): Promise<Response> => {
    const call = incoming(input, init);
    if (call.signal?.aborted) throw call.signal.reason;
    const path = apiPath(call.url.pathname);
    if (path === undefined) return fetch(input, init);
    const endpoint = call.method === 'POST' ? ROUTED[path] : undefined;
    try {
      return endpoint !== undefined ? await routed(call, endpoint) : await forwarded(call, path);
    } catch (error) {
      if (call.signal?.aborted) throw call.signal.reason;
      throw error;
    }
  };

  return Object.assign(fetchFn, {
    pipeline,
    async close() {
      if (ownsPipeline) await pipeline.close();
      if (passthrough !== undefined && options.transport === undefined) await passthrough.close();
    },
  });
}
