// The HTTP transport: one keep-alive undici pool per transport, Bearer auth, JSON bodies, raw responses.
// It never decides what a status means; the caller classifies. Socket failures become TogetherErrors
// (category network/timeout); an abort rejects with the signal's reason.
import { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import { TogetherError, classifyNetworkError, redactSecrets, scrubbedError, scrubberFor } from '../errors/index.js';
import { formatQuery, joinPath, parseBaseUrl, resolveBaseUrl, type QueryValue } from './base-url.js';
import { BufferingHandler, flattenHeaders, type TextResponse } from './buffered-response.js';
import { wrapBody, type ResponseBody } from './response-body.js';

export const DEFAULT_USER_AGENT = 'tether/0.1.0';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

export interface TransportOptions {
  /** Defaults to `TOGETHER_BASE_URL`, then `https://api.together.ai/v1`. */
  baseUrl?: string | undefined;
  /** Sent as `Authorization: Bearer <key>`; never logged, never in an error. */
  apiKey?: string | undefined;
  /** A shared undici dispatcher (pool/agent). When given, `close()` leaves it open: its owner closes it. */
  dispatcher?: Dispatcher | undefined;
  /** Extra headers on every request. */
  headers?: Readonly<Record<string, string>> | undefined;
  userAgent?: string | undefined;
  /** Connections per origin for the agent this transport creates (default: undici's, unlimited). */
  connections?: number | undefined;
  /** undici's wait for response headers, ms (default 300 s; 0 disables). Per-attempt deadlines are the caller's signal. */
  headersTimeoutMs?: number | undefined;
  /** undici's idle limit between body chunks, ms (default 300 s; 0 disables). */
  bodyTimeoutMs?: number | undefined;
  /** Environment to read `TOGETHER_BASE_URL` from (default `process.env`). */
  env?: NodeJS.ProcessEnv | undefined;
  /**
   * The most bytes of an answer read whole (`sendText`, `body.text()`, `body.json()`); past it reading stops, the
   * connection is closed and the call fails with a `server` TogetherError (code `response_too_large`). Default
   * {@link DEFAULT_MAX_RESPONSE_BYTES}. Bodies read as a stream (iterated) are not held, so not counted.
   */
  maxResponseBytes?: number | undefined;
  /**
   * More values an error answer's body must not carry on (other keys in use); the key a request is sent with and the
   * transport's own are always scrubbed, in every form, from the body of every answer with an error status.
   */
  secrets?: readonly string[] | undefined;
}

/** 64 MiB: far above any real completion or model list (a 128K-token answer is well under 1 MiB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * 500 MiB: for a file's content read whole (a batch's output JSONL: Together takes batch inputs up to 100 MB, and
 * outputs are larger). Just under the longest string V8 can hold (2^29 − 24 characters), which bounds it anyway.
 */
export const DEFAULT_MAX_FILE_BYTES = 500 * 1024 * 1024;

/** A body passed through untouched; anything else (a plain object or array) is sent as JSON. */
export type RawRequestBody = string | Uint8Array | Readable | FormData;

export interface SendRequest {
  method: HttpMethod;
  /** Endpoint path relative to the base URL, e.g. `/chat/completions` (leading slash optional). */
  path: string;
  query?: Readonly<Record<string, QueryValue>> | undefined;
  /** A {@link RawRequestBody}, or any JSON value (sent with `content-type: application/json`). */
  body?: unknown;
  headers?: Readonly<Record<string, string>> | undefined;
  /** The body is JSON text already (e.g. a client's own bytes forwarded): labelled `application/json`. */
  jsonText?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** Ask for `text/event-stream` (the body itself must say `stream: true`; the transport does not edit bodies). */
  stream?: boolean | undefined;
  /** Overrides the transport's key for this request (e.g. a gateway forwarding its caller's key). */
  apiKey?: string | undefined;
  /** The model the request names, recorded on network errors. */
  model?: string | undefined;
  /** Overrides the transport's `maxResponseBytes` for this request. */
  maxResponseBytes?: number | undefined;
}

export interface RawResponse {
  status: number;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  body: ResponseBody;
  /** The request URL (base URL + path + query); never contains credentials. */
  url: string;
}

export interface Transport {
  /** The normalised base URL requests go to. */
  readonly baseUrl: string;
  send(request: SendRequest): Promise<RawResponse>;
  /**
   * The same request, answered whole: status, headers and the body as text, read without a body stream (cheaper
   * for small JSON answers). Optional: a caller falls back to `send` and `body.text()`. Errors are `send`'s.
   */
  sendText?(request: SendRequest): Promise<TextResponse>;
  /** Close the pool this transport created (a caller-supplied dispatcher is left open). */
  close(): Promise<void>;
}

/** Trim an API key and reject one that cannot be a header value, without ever echoing it. */
export function normaliseApiKey(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  const trimmed = key.trim();
  if (trimmed === '') return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new TypeError('The API key contains spaces or control characters; check how TOGETHER_API_KEY (or --api-key) was set');
  }
  return trimmed;
}


function isRawBody(body: unknown): body is RawRequestBody {
  return (
    typeof body === 'string' ||
    body instanceof Uint8Array ||
    body instanceof Readable ||
    (typeof FormData !== 'undefined' && body instanceof FormData)
  );
}

function lowerCaseKeys(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined) return out;
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

/** Header sets reused for requests with no headers of their own, per key: a process sends with a handful of keys. */
const HEADER_CACHE_LIMIT = 256;

export function createTransport(options: TransportOptions = {}): Transport {
  const base = parseBaseUrl(resolveBaseUrl(options.baseUrl, options.env));
  const defaultKey = normaliseApiKey(options.apiKey);
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const extraSecrets = options.secrets ?? [];
  /**
   * What removes every form of the keys from an error answer's body, so that no caller (the catalog, the batch and
   * fine-tune commands, the doctor) can hand an echoed key on: error bodies are small and rare, so this is cheap.
   */
  const errorScrub = (apiKey: string | undefined): ((text: string) => string) | undefined => {
    const secrets = [...extraSecrets, ...(apiKey !== undefined ? [apiKey] : []), ...(defaultKey !== undefined && defaultKey !== apiKey ? [defaultKey] : [])];
    return secrets.length === 0 ? undefined : scrubberFor(secrets).exact;
  };
  if (!(typeof maxResponseBytes === 'number' && maxResponseBytes > 0)) {
    throw new RangeError(`maxResponseBytes must be a positive number of bytes (got ${String(options.maxResponseBytes)}).`);
  }
  const ownsDispatcher = options.dispatcher === undefined;
  const dispatcher: Dispatcher =
    options.dispatcher ?? new Agent(options.connections !== undefined ? { connections: options.connections } : {});
  const defaultHeaders = {
    'user-agent': options.userAgent ?? DEFAULT_USER_AGENT,
    ...lowerCaseKeys(options.headers),
  };
  const timeouts = {
    ...(options.headersTimeoutMs !== undefined ? { headersTimeout: options.headersTimeoutMs } : {}),
    ...(options.bodyTimeoutMs !== undefined ? { bodyTimeout: options.bodyTimeoutMs } : {}),
  };

  /**
   * The fixed headers of a request by key and accept type. undici's own Agent only reads them, so one object serves
   * every request; a caller's dispatcher may add to them (a ProxyAgent adds `host`), so it gets a copy.
   */
  const headerSets = new Map<string, Readonly<Record<string, string>>>();
  function baseHeaders(apiKey: string | undefined, stream: boolean, jsonBody: boolean): Readonly<Record<string, string>> {
    const id = `${stream ? 's' : 'j'}${jsonBody ? 'b' : '-'}${apiKey ?? ''}`;
    let headers = headerSets.get(id);
    if (headers === undefined) {
      const built: Record<string, string> = { ...defaultHeaders, accept: stream ? 'text/event-stream' : 'application/json' };
      if (jsonBody) built['content-type'] = 'application/json';
      if (apiKey !== undefined) built['authorization'] = `Bearer ${apiKey}`;
      headers = built;
      if (headerSets.size >= HEADER_CACHE_LIMIT) headerSets.clear();
      headerSets.set(id, headers);
    }
    return ownsDispatcher ? headers : { ...headers };
  }

  /** The error the caller sees for a failed request or body read (built only when something failed). */
  function failure(error: unknown, request: SendRequest, apiKey: string | undefined): unknown {
    const { signal } = request;
    if (signal?.aborted) return signal.reason;
    if (error instanceof TogetherError) return error;
    const secrets = [apiKey, defaultKey].filter((key): key is string => key !== undefined);
    if ((error as { code?: unknown } | null)?.code === 'UND_ERR_INVALID_ARG') {
      return new TypeError(`Invalid request: ${redactSecrets((error as Error).message, secrets)}`);
    }
    return scrubbedError(classifyNetworkError(error, { model: request.model }), secrets);
  }

  /** What undici is asked for: the request's path, headers and body, shared by `send` and `sendText`. */
  function dispatchOptions(request: SendRequest, apiKey: string | undefined): Dispatcher.DispatchOptions {
    let body: RawRequestBody | null = null;
    let jsonBody = false;
    if (request.body !== undefined && request.body !== null) {
      if (isRawBody(request.body)) {
        body = request.body;
      } else {
        body = JSON.stringify(request.body);
        jsonBody = true;
      }
    }
    if (request.jsonText === true && body !== null) jsonBody = true;
    let headers = baseHeaders(apiKey, request.stream === true, jsonBody);
    if (request.headers !== undefined) {
      const own = lowerCaseKeys(request.headers);
      headers = jsonBody ? { ...headers, ...own, 'content-type': own['content-type'] ?? 'application/json' } : { ...headers, ...own };
      if (apiKey !== undefined) (headers as Record<string, string>)['authorization'] = `Bearer ${apiKey}`;
    }
    const path = request.query === undefined ? joinPath(base.basePath, request.path) : joinPath(base.basePath, request.path) + formatQuery(request.query);
    return {
      origin: base.origin,
      path,
      method: request.method,
      headers,
      // The global FormData and undici's are the same class at run time; only their typings differ.
      body: body as Dispatcher.DispatchOptions['body'],
      ...timeouts,
    };
  }

  async function send(request: SendRequest): Promise<RawResponse> {
    const { signal } = request;
    if (signal?.aborted) throw signal.reason;
    const apiKey = request.apiKey !== undefined ? normaliseApiKey(request.apiKey) : defaultKey;
    const options: Dispatcher.RequestOptions = dispatchOptions(request, apiKey);
    options.signal = signal ?? null;
    let response: Dispatcher.ResponseData;
    try {
      response = await dispatcher.request(options);
    } catch (error) {
      throw failure(error, request, apiKey);
    }
    return {
      status: response.statusCode,
      headers: flattenHeaders(response.headers),
      body: wrapBody(
        response.body,
        (error) => failure(error, request, apiKey),
        request.maxResponseBytes ?? maxResponseBytes,
        response.statusCode >= 400 ? errorScrub(apiKey) : undefined,
      ),
      url: base.origin + options.path,
    };
  }

  function sendText(request: SendRequest): Promise<TextResponse> {
    const { signal } = request;
    if (signal?.aborted) return Promise.reject(signal.reason);
    let options: Dispatcher.DispatchOptions;
    let apiKey: string | undefined;
    try {
      apiKey = request.apiKey !== undefined ? normaliseApiKey(request.apiKey) : defaultKey;
      options = dispatchOptions(request, apiKey);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<TextResponse>((resolve, reject) => {
      const answered = (response: TextResponse): void => {
        const scrub = response.status >= 400 ? errorScrub(apiKey) : undefined;
        resolve(scrub === undefined ? response : { ...response, text: scrub(response.text) });
      };
      const handler = new BufferingHandler(signal, answered, (error) => reject(failure(error, request, apiKey)), request.maxResponseBytes ?? maxResponseBytes);
      try {
        dispatcher.dispatch(options, handler);
      } catch (error) {
        reject(failure(error, request, apiKey));
      }
    });
  }

  return {
    baseUrl: base.href,
    send,
    sendText,
    async close() {
      if (ownsDispatcher) await dispatcher.close();
    },
  };
}
