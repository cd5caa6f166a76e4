// The thin node:http layer: one Exchange per request, body reading with a size limit, JSON and error replies,
// socket resets, and waits that end when the client leaves or the emulator closes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { bodyTooDeep, bodyTooLarge, errorEnvelope, invalidRequest } from './errors.js';
import type { EmulatorError } from './errors.js';
import { MAX_JSON_DEPTH, jsonDeeperThan } from './json-limits.js';

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Path without the query string or a trailing slash. */
  path: string;
  query: URLSearchParams;
  requestId: string;
  /** When the request arrived, on the emulator's clock (ms): its limits are applied as of then. */
  arrivedAt: number;
  /** Aborted when the client goes away or the emulator closes. */
  signal: AbortSignal;
  /** Headers added to every reply of this exchange (the rate-limit headers once the key is known). */
  extraHeaders: () => Record<string, string>;
  /** Added to the request's log line: key name and model once known (never the key itself). */
  logFields: Record<string, string>;
}

const NO_HEADERS = (): Record<string, string> => ({});

export function createExchange(req: IncomingMessage, res: ServerResponse, requestId: string, closing: AbortSignal, arrivedAt: number): Exchange {
  // The Host header is ignored on purpose. A path starting with // would parse as a host ("//v1/models": host v1).
  const target = req.url ?? '/';
  const url = new URL(target.startsWith('//') ? `http://emulator${target}` : target, 'http://emulator');
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  const gone = new AbortController();
  res.on('close', () => gone.abort());
  return {
    req,
    res,
    method: (req.method ?? 'GET').toUpperCase(),
    path,
    query: url.searchParams,
    requestId,
    arrivedAt,
    signal: AbortSignal.any([gone.signal, closing]),
    extraHeaders: NO_HEADERS,
    logFields: {},
  };
}

function writable(ex: Exchange): boolean {
  return !ex.res.headersSent && !ex.res.destroyed && !ex.signal.aborted;
}

export function sendJson(ex: Exchange, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (!writable(ex)) return;
  const text = JSON.stringify(body);
  ex.res.writeHead(status, {
    ...ex.extraHeaders(),
    ...headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  ex.res.end(text);
}

/** Together's `{"id", "error": {...}}` envelope (or a fault's custom body) with the error's own headers. */
export function sendError(ex: Exchange, error: EmulatorError): void {
  sendJson(ex, error.status, error.rawBody ?? errorEnvelope(ex.requestId, error.error), error.headers);
}

/** Drop the connection without a response (or mid-body). */
export function resetConnection(ex: Exchange): void {
  ex.res.socket?.destroy();
  ex.res.destroy();
}

/** Resolves when the client leaves or the emulator closes: a stall. */
export function untilGone(ex: Exchange): Promise<void> {
  if (ex.signal.aborted) return Promise.resolve();
  return new Promise((resolve) => ex.signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Node's timers hold 32-bit milliseconds: a longer delay fires at once (with a warning) instead of late. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Wait `ms` (at most MAX_TIMER_MS); false when the wait was cut short because the client left or the emulator closed. */
export async function pause(ex: Exchange, ms: number): Promise<boolean> {
  if (!(ms > 0)) return !ex.signal.aborted;
  try {
    await delay(Math.min(ms, MAX_TIMER_MS), undefined, { signal: ex.signal });
    return true;
  } catch {
    return false;
  }
}

/** Write one piece of a streamed body and wait until it is handed to the socket. */
export function writeChunk(ex: Exchange, text: string): Promise<void> {
  if (ex.res.destroyed || ex.res.writableEnded) return Promise.resolve();
  return new Promise((resolve) => ex.res.write(text, () => resolve()));
}

/**
 * What is left of a request body once its answer is complete is unwanted. node:http would drain it to its end so the
 * connection can be reused (a route may also have called req.resume() to drop it), bounded only by the request
 * timeout: this reads at most `limit` more bytes, then closes the connection. Call it as the answer ends.
 */
export function boundUnwantedBody(req: IncomingMessage, limit: number): void {
  if (req.complete || req.destroyed) return;
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > limit) req.socket.destroy();
  });
  req.resume();
}

export type BodyResult = { ok: true; value: unknown } | { ok: false; error: EmulatorError } | { ok: false; gone: true };

/**
 * Read and parse a JSON body. A body over `limit` is read to the end and dropped (so the client can read the
 * 413), unless it goes on past ten times the limit, when the socket is dropped.
 */
export function readJsonBody(ex: Exchange, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    ex.req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > limit * 10) {
        resetConnection(ex);
        settle({ ok: false, gone: true });
      }
    });
    ex.req.on('error', () => settle({ ok: false, gone: true }));
    ex.req.on('aborted', () => settle({ ok: false, gone: true }));
    ex.req.on('close', () => {
      if (!ex.req.complete) settle({ ok: false, gone: true });
    });
    ex.req.on('end', () => {
      if (size > limit) return settle({ ok: false, error: bodyTooLarge(limit) });
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        return settle({ ok: false, error: invalidRequest('Request body is empty. Send a JSON object with Content-Type: application/json.') });
      }
      if (jsonDeeperThan(text, MAX_JSON_DEPTH)) return settle({ ok: false, error: bodyTooDeep(MAX_JSON_DEPTH) });
      try {
        settle({ ok: true, value: JSON.parse(text) as unknown });
      } catch (error) {
        settle({
          ok: false,
          error: invalidRequest(
            `Request body is not valid JSON (${(error as Error).message}). Send a JSON object with Content-Type: application/json.`,
          ),
        });
      }
    });
  });
}
