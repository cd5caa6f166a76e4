// resilientFetch: a `fetch` that any OpenAI-compatible SDK (openai, together-ai) accepts through its `fetch` option,
// so users keep their SDK and gain the pipeline. POST …/chat/completions, …/completions and …/embeddings go through
// the pipeline; other API paths (models, files, fine-tunes…) go straight upstream with its key; URLs that are not
// API calls (no `/v1` segment, e.g. a pre-signed upload URL) go to the global fetch untouched. Every call goes where
// the SDK sent it (its baseURL: the URL up to `/v1`); the `baseUrl` option is only where the pipeline fetches on
// its own behalf (the model list), and defaults to the SDK's base URL as first seen.
// Give the SDK `maxRetries: 0`: retrying is the pipeline's job (error responses also say `x-should-retry: false`).
import { AsyncLocalStorage } from 'node:async_hooks';
import { createTransport, PATHS, resolveBaseUrl } from '../api/index.js';
import type { SendRequest, Transport } from '../api/index.js';
import type { TogetherError } from '../errors/index.js';
import { invalidJsonBodyError, openAiBaseUrlError, withFrontDoorFix } from '../errors/index.js';
import type { Endpoint, Pipeline, PipelineResult } from './contract.js';
import { errorResponse, forwardHeaders, iterableStream, jsonResponse, streamResponse } from './http-response.js';
import { resolveApiKey } from './options.js';
import type { PipelineOptions } from './options.js';
import { createPipeline } from './pipeline.js';

export interface ResilientFetchOptions extends PipelineOptions {
  /**
   * An existing pipeline to send through (shared with a client or gateway; not closed by `close()`). Its inference
   * calls go to that pipeline's own base URL, not the SDK's.
   */
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

const API_SEGMENT = /(?:^|\/)v1(\/.*)?$/;

/** The path after the URL's `/v1` segment (`/v1/chat/completions` → `/chat/completions`); undefined without one. */
export function apiPath(pathname: string): string | undefined {
  const match = API_SEGMENT.exec(pathname);
  if (match === null) return undefined;
  const rest = match[1] ?? '/';
  return rest.length > 1 ? rest.replace(/\/+$/, '') : rest;
}

/** The base URL an SDK sent a call to: origin and path up to its `/v1` segment; undefined without one. */
export function apiBase(url: URL): string | undefined {
  const match = API_SEGMENT.exec(url.pathname);
  if (match === null) return undefined;
  return url.origin + url.pathname.slice(0, match.index + match[0].length - (match[1]?.length ?? 0));
}

/** Distinct SDK base URLs given a connection pool each; past this, the least recently added is closed. */
const MAX_BASES = 16;

/**
 * A transport that sends what the pipeline sends for an SDK call to that call's base URL (held in an
 * AsyncLocalStorage around pipeline.send), and the model list, which the pipeline fetches on its own behalf, to
 * `baseUrl`, else the SDK's base URL first seen, else TOGETHER_BASE_URL or the default. A retry or fallback run
 * outside that call's async context (none does today) would go to the latter.
 */
function sdkRoutedTransport(options: ResilientFetchOptions, defaultKey: string | undefined) {
  const sdkBase = new AsyncLocalStorage<string>();
  const pools = new Map<string, Transport>();
  let firstSdkBase: string | undefined;
  const ownBase = (): string => options.baseUrl?.trim() || firstSdkBase || resolveBaseUrl(undefined, options.env ?? process.env);
  const poolFor = (base: string): Transport => {
    let pool = pools.get(base);
    if (pool === undefined) {
      const maxResponseBytes = options.maxResponseBytes;
      pool = createTransport({
        baseUrl: base,
        apiKey: defaultKey,
        env: options.env,
        // Every configured key is scrubbed from error answers passed straight through, not only the one sent with.
        secrets: options.secrets,
        ...(maxResponseBytes !== undefined ? { maxResponseBytes } : {}),
      });
      pools.set(base, pool);
      if (pools.size > MAX_BASES) {
        const [oldest, evicted] = pools.entries().next().value as [string, Transport];
        pools.delete(oldest);
        void evicted.close().catch(() => undefined);
      }
    }
    return pool;
  };
  const target = (request: SendRequest): Transport => {
    const base = sdkBase.getStore();
    const ownFetch = request.path === PATHS.models || request.path.startsWith(`${PATHS.models}?`);
    return poolFor(base !== undefined && !ownFetch ? base : ownBase());
  };
  const transport: Transport = {
    get baseUrl() {
      return poolFor(ownBase()).baseUrl;
    },
    send: (request) => target(request).send(request),
    async sendText(request) {
      const pool = target(request);
      if (pool.sendText !== undefined) return pool.sendText(request);
      const response = await pool.send(request);
      return { status: response.status, headers: response.headers, text: await response.body.text() };
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((pool) => pool.close()));
    },
  };
  return {
    transport,
    /** Runs `send` with `base` as the target of its inference calls; the first base seen becomes the own default. */
    within<T>(base: string, send: () => T): T {
      firstSdkBase ??= base;
      return sdkBase.run(base, send);
    },
    poolFor,
  };
}

function bearer(headers: Headers): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(headers.get('authorization')?.trim() ?? '');
  return match?.[1]?.trim() || undefined;
}

/** The openai SDK's default host: an SDK left without a baseURL would be sent a Together key. */
const OPENAI_HOST = 'api.openai.com';

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
  const explicitKey = Boolean(options.apiKey?.trim());
  const { apiKey: defaultKey } = resolveApiKey(options);
  // A given transport (tests) or pipeline decides where calls go; otherwise each goes where its SDK sent it.
  const routing = options.pipeline === undefined && options.transport === undefined ? sdkRoutedTransport(options, defaultKey) : undefined;
  const pipeline = options.pipeline ?? createPipeline(routing !== undefined ? { ...options, transport: routing.transport } : options);
  const ownsPipeline = options.pipeline === undefined;
  let passthrough: Transport | undefined;
  const transport = (base: string): Transport =>
    routing !== undefined
      ? routing.poolFor(base)
      : (passthrough ??= options.transport ?? createTransport({ baseUrl: options.baseUrl, apiKey: defaultKey, env: options.env, secrets: options.secrets }));

  async function routed(call: IncomingCall, endpoint: Endpoint, base: string): Promise<Response> {
    let body: unknown;
    const text = await call.body().text();
    try {
      body = JSON.parse(text);
    } catch (error) {
      return errorResponse(invalidJsonBodyError((error as Error).message));
    }
    let result: PipelineResult;
    try {
      const send = () =>
        pipeline.send({
          endpoint,
          body,
          // The SDK's key, unless this fetch was given one explicitly.
          ...(!explicitKey && bearer(call.headers) !== undefined ? { apiKey: bearer(call.headers) as string } : {}),
          ...(call.signal !== undefined ? { signal: call.signal } : {}),
          ...(call.headers.get('x-request-id') ? { requestId: call.headers.get('x-request-id') as string } : {}),
        });
      result = await (routing !== undefined ? routing.within(base, send) : send());
    } catch (error) {
      // An abort is the caller's own: reject as fetch does, so the SDK reports it as one.
      if (call.signal?.aborted) throw call.signal.reason;
      return errorResponse(withFrontDoorFix(error as TogetherError, 'resilient-fetch'));
    }
    return result.kind === 'json' ? jsonResponse(result) : streamResponse(result);
  }

  async function forwarded(call: IncomingCall, path: string, base: string): Promise<Response> {
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
    const response = await transport(base).send({
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
    const base = apiBase(call.url);
    if (path === undefined || base === undefined) return fetch(input, init);
    if (call.url.hostname === OPENAI_HOST) return errorResponse(openAiBaseUrlError(base));
    const endpoint = call.method === 'POST' ? ROUTED[path] : undefined;
    try {
      return endpoint !== undefined ? await routed(call, endpoint, base) : await forwarded(call, path, base);
    } catch (error) {
      if (call.signal?.aborted) throw call.signal.reason;
      throw error;
    }
  };

  return Object.assign(fetchFn, {
    pipeline,
    async close() {
      if (ownsPipeline) await pipeline.close();
      if (routing !== undefined) await routing.transport.close();
      if (passthrough !== undefined && options.transport === undefined) await passthrough.close();
    },
  });
}
