// Every `/v1/*` path the gateway does not model (files, fine-tunes, batches, anything Together adds) goes to Together
// unchanged: same method, path and query, the client's headers minus hop-by-hop ones and its auth (the upstream key
// replaces the gateway token), the body streamed both ways. The gateway adds only its own auth, request id and
// `x-tether-category` on errors. No upstream key rides out: JSON and error answers are read whole (bounded) and
// scrubbed, text answers (a file's content) are scrubbed as they stream, binary ones stream byte for byte.
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../api/index.js';
import type { HttpMethod, RawResponse, Transport } from '../api/index.js';
import { classify, isTogetherError, scrubberFor } from '../errors/index.js';
import type { Scrubber } from '../errors/index.js';
import { LightAbortController } from '../policy/index.js';
import { bodyTooLarge, gatewayErrorReply, internalError, methodNotAllowed, togetherErrorReply } from './envelope.js';
import type { ErrorReply } from './envelope.js';
import type { Exchange } from './exchange.js';
import { discardBody, drained, sendError } from './http.js';
import { createStreamScrubber } from './scrub-stream.js';
import type { Logger } from './log.js';

/** Request headers never forwarded: the connection's own (RFC 9110 §7.6.1), the client's auth, and compression. */
const DROPPED_REQUEST_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'authorization',
  // Upstream answers uncompressed, so the gateway can read a JSON answer for keys before it goes out.
  'accept-encoding',
  // The gateway's id goes upstream instead (see below).
  'x-request-id',
]);

/** Response headers never forwarded: the connection's own, and the length of a body the gateway re-sends. */
const DROPPED_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'transfer-encoding', 'trailer', 'upgrade', 'content-length']);

const METHODS = new Set<string>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);

/** A media type worth reading whole for keys: JSON (Together's answers and errors on these paths). */
function isJson(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

/** A text media type (read as UTF-8 and scrubbed as it streams): text/*, JSON Lines, XML, or any with a charset. */
function isText(contentType: string | undefined): boolean {
  const full = (contentType ?? '').toLowerCase();
  const type = full.split(';')[0]!.trim();
  return type.startsWith('text/') || /jsonl|ndjson|jsonlines|xml/.test(type) || full.includes('charset=');
}

export interface PassthroughContext {
  log: Logger;
  /** The transport to Together for a base URL (one pool per URL, owned and closed by the server). */
  upstream(baseUrl: string): Transport;
}

/**
 * Whether a path could leave /v1 once upstream normalizes it: a dot segment (`.`, `..`, or one spelled with %2e), an
 * encoded slash (%2f), a backslash (raw or %5c, which some servers read as a slash), or an empty segment (`//`, which
 * merged upstream would reach a modelled route such as /v1//chat/completions around the pipeline). The path is forwarded as
 * written, with the upstream key: `/v1/../_emulator/faults` reached the emulator's admin API through the gateway.
 */
export function unsafeUpstreamPath(url: string): boolean {
  const q = url.indexOf('?');
  const path = (q === -1 ? url : url.slice(0, q)).toLowerCase();
  if (path.includes('%2f') || path.includes('%5c') || path.includes('\\') || path.includes('//')) return true;
  return path.split('/').some((segment) => {
    const dots = segment.replaceAll('%2e', '.');
    return dots === '.' || dots === '..';
  });
}

function unsafePath(): ErrorReply {
  return gatewayErrorReply({
    status: 400,
    category: 'validation',
    code: 'unsafe_path',
    message: 'The request path holds a dot segment (. or ..), an empty segment (//), an encoded slash or a backslash; the gateway forwards only plain /v1/* paths.',
    fix: 'Send the path as the API reference writes it, e.g. /v1/files/{id}.',
  });
}

/** The path upstream: the client's path after `/v1`, with its query, exactly as sent. */
export function upstreamPath(url: string): string {
  return url.replace(/^\/v1(?=\/|\?|$)/, '') || '/';
}

/** Counts a streamed request body and fails it past `limit` bytes (the upstream request then fails; see below). */
class BodyLimit extends Transform {
  bytes = 0;
  exceeded = false;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      this.exceeded = true;
      done(new RangeError(`request body over ${this.limit} bytes`));
      return;
    }
    done(null, chunk);
  }
}

function forwardedRequestHeaders(ex: Exchange): Record<string, string> {
  const headers: Record<string, string> = {};
  const raw = ex.req.headers;
  for (const name in raw) {
    if (DROPPED_REQUEST_HEADERS.has(name)) continue;
    const value = raw[name];
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  headers['x-request-id'] = ex.requestId;
  return headers;
}

/** Upstream's headers as the client gets them: hop-by-hop ones dropped, keys scrubbed, ids the gateway's. */
function answerHeaders(ex: Exchange, upstream: Record<string, string>, scrubber: Scrubber): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name in upstream) {
    if (DROPPED_RESPONSE_HEADERS.has(name)) continue;
    headers[name] = scrubber.exact(upstream[name]!);
  }
  const upstreamId = headers['x-request-id'];
  if (upstreamId !== undefined) {
    headers['x-together-request-id'] = upstreamId;
    ex.upstreamRequestId = upstreamId;
  }
  headers['x-request-id'] = ex.requestId;
  return headers;
}

/** Every key the gateway sends with, in every form: none may leave in an answer. */
function secretsOf(ex: Exchange): Scrubber {
  const upstream = ex.generation.config.upstream;
  return scrubberFor([upstream.apiKey, ...upstream.otherKeys, ex.upstreamKey]);
}

/**
 * Forwards one request. The caller has admitted it (auth, client limits). Failures the gateway itself meets (the
 * body over the limit, Together unreachable) are answered in Together's envelope; Together's own answers, errors
 * included, go out as Together wrote them.
 */
export async function handlePassthrough(ex: Exchange, ctx: PassthroughContext): Promise<void> {
  const { req, res } = ex;
  const config = ex.generation.config;
  const method = ex.method.toUpperCase();
  if (!METHODS.has(method)) {
    return fail(ex, methodNotAllowed(method, ex.path, [...METHODS].join(', ')), true);
  }
  if (unsafeUpstreamPath(req.url ?? '/')) return fail(ex, unsafePath(), true);
  const limit = config.limits.maxBodyBytes;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return fail(ex, bodyTooLarge(limit), true);
  const hasBody = method !== 'GET' && method !== 'HEAD' && (declared > 0 || req.headers['transfer-encoding'] !== undefined);
  const counter = hasBody ? new BodyLimit(limit) : undefined;
  if (counter !== undefined) req.pipe(counter);
  else discardBody(req, limit); // a GET's body, if any: not forwarded, read at most `limit`

  const abort = new LightAbortController();
  ex.abort = abort;
  const apiKey = ex.upstreamKey ?? config.upstream.apiKey;
  const scrubber = secretsOf(ex);
  let response: RawResponse;
  try {
    ex.awaitingSince = performance.now();
    response = await ctx.upstream(config.upstream.baseUrl).send({
      method: method as HttpMethod,
      path: upstreamPath(req.url ?? '/'),
      headers: forwardedRequestHeaders(ex),
      ...(counter !== undefined ? { body: counter } : {}),
      ...(apiKey !== undefined ? { apiKey } : {}),
      signal: abort.signal,
      maxResponseBytes: config.upstream.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    });
    ex.awaitingSince = undefined;
  } catch (error) {
    ex.awaitingSince = undefined;
    if (ex.timedOut || abort.signal.aborted || res.destroyed) return;
    if (counter?.exceeded) return fail(ex, bodyTooLarge(limit), true);
    // A body still arriving is not drained for an answer that is already decided: the connection closes after it.
    const unread = counter !== undefined && !req.complete;
    if (isTogetherError(error)) return fail(ex, togetherErrorReply(error), unread);
    ctx.log.error({ reqId: ex.requestId, err: error }, 'pass-through request failed');
    return fail(ex, internalError(), unread);
  }
  if (ex.timedOut || res.destroyed) {
    void response.body.text().catch(() => undefined);
    return;
  }
  const headers = answerHeaders(ex, response.headers, scrubber);
  const bodiless = method === 'HEAD' || response.status === 204 || response.status === 304;
  try {
    if (bodiless) {
      res.writeHead(response.status, headers);
      res.end();
    } else if (response.status >= 400 || isJson(response.headers['content-type'])) {
      // Errors (whatever their type) and JSON: small, read whole and scrubbed.
      await writeWhole(ex, response, headers, scrubber);
    } else if (isText(response.headers['content-type'])) {
      await streamScrubbed(ex, response, headers, scrubber);
    } else {
      await streamThrough(ex, response, headers);
    }
  } catch (error) {
    if (res.destroyed || abort.signal.aborted) return;
    if (!res.headersSent) {
      fail(ex, isTogetherError(error) ? togetherErrorReply(error) : internalError());
      return;
    }
    // Cut mid-body: the client sees a broken body, never a clean end of a partial one.
    res.destroy();
  }
}

/** A JSON answer: read whole (bounded by upstream.maxResponseBytes), every key scrubbed, then sent. */
async function writeWhole(ex: Exchange, response: RawResponse, headers: Record<string, string>, scrubber: Scrubber): Promise<void> {
  const text = scrubber.exact(await response.body.text());
  if (response.status >= 400) {
    ex.category = classify({ status: response.status, headers: response.headers, body: text, secrets: scrubber.secrets }).category;
    headers['x-tether-category'] = ex.category;
  }
  headers['content-length'] = String(Buffer.byteLength(text));
  ex.res.writeHead(response.status, headers);
  ex.res.end(text);
}

/**
 * A text answer (a file's JSONL content): streamed at the client's pace with every key form scrubbed, holding back
 * only a small window (scrub-stream.ts); its length may change, so it goes out chunked.
 */
async function streamScrubbed(ex: Exchange, response: RawResponse, headers: Record<string, string>, scrubber: Scrubber): Promise<void> {
  const { res } = ex;
  res.writeHead(response.status, headers);
  const decoder = new TextDecoder();
  const scrub = createStreamScrubber(scrubber);
  for await (const chunk of response.body) {
    if (res.destroyed) return; // leaving the loop cancels the upstream body
    const out = scrub.push(decoder.decode(chunk, { stream: true }));
    if (out !== '' && !res.write(out)) await drained(res);
  }
  res.end(scrub.push(decoder.decode()) + scrub.end());
}

/** Any other answer (a file's bytes): chunk by chunk, at the client's pace, byte for byte. */
async function streamThrough(ex: Exchange, response: RawResponse, headers: Record<string, string>): Promise<void> {
  const { res } = ex;
  const length = response.headers['content-length'];
  if (length !== undefined) headers['content-length'] = length;
  res.writeHead(response.status, headers);
  for await (const chunk of response.body) {
    if (res.destroyed) return; // leaving the loop cancels the upstream body
    if (!res.write(chunk)) await drained(res);
  }
  res.end();
}

function fail(ex: Exchange, reply: ErrorReply, closeConnection = false): void {
  ex.category = reply.category;
  sendError(ex.res, reply, ex.requestId, closeConnection);
}
