// Small node:http helpers for the gateway's hot path: request ids, reading a bounded body, writing JSON and error
// envelopes, and the raw answer for connections that never became a request (header timeout, bad HTTP).
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { gatewayErrorReply, type ErrorReply } from './envelope.js';

/** Ids unique per process and across restarts: a random prefix and a counter (cheaper than a UUID each). */
export function requestIdGenerator(): () => string {
  const prefix = `gw-${randomBytes(5).toString('hex')}-`;
  let counter = 0;
  return () => prefix + (counter++).toString(36);
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's own `x-request-id`, kept when it is short and plain (it ends up in headers and logs). */
export function callerRequestId(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : undefined;
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare.toLowerCase().startsWith('::ffff:127.');
  return false;
}

export type BodyRead = { ok: true; body: Buffer } | { ok: false; reason: 'too_large' | 'aborted' };

const TOO_LARGE: BodyRead = { ok: false, reason: 'too_large' };
const ABORTED: BodyRead = { ok: false, reason: 'aborted' };

/** Reads the whole body, refusing (without buffering) anything over `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.resolve(TOO_LARGE);
  return new Promise((resolve) => {
    let first: Buffer | undefined;
    let rest: Buffer[] | undefined;
    let size = 0;
    let settled = false;
    const finish = (result: BodyRead): void => {
      if (settled) return;
      settled = true;
      if (result !== TOO_LARGE) return resolve(result);
      req.removeAllListeners('data');
      resolve(result);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) return finish(TOO_LARGE);
      if (first === undefined) first = chunk;
      else (rest ??= [first]).push(chunk);
    });
    req.on('end', () => finish({ ok: true, body: rest ? Buffer.concat(rest, size) : (first ?? Buffer.alloc(0)) }));
    req.on('error', () => finish(ABORTED));
    req.on('close', () => {
      if (!req.complete) finish(ABORTED);
    });
  });
}

/**
 * Drops the body of a route that reads none (GET /healthz, /metrics, /v1/models, the dashboard), reading at most
 * `limit` bytes of it: past that the connection is closed. Resumed instead, an endless body was read until the
 * request timeout.
 */
export function discardBody(req: IncomingMessage, limit: number): void {
  if (req.complete) return;
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > limit) req.socket.destroy();
  });
  req.resume();
}

/** Writes a JSON body with its length (no chunked encoding) and the given headers. */
export function sendJson(res: ServerResponse, status: number, text: string, headers: Record<string, string | number>): void {
  headers['content-type'] = 'application/json';
  headers['content-length'] = Buffer.byteLength(text);
  res.writeHead(status, headers);
  res.end(text);
}

export function sendError(res: ServerResponse, reply: ErrorReply, requestId: string, closeConnection = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string | number> = { ...reply.headers, 'x-request-id': requestId };
  if (closeConnection) headers.connection = 'close';
  sendJson(res, reply.status, errorBodyText(reply, requestId), headers);
}

/** The error body as sent: upstream's own, or tether's envelope with Together's top-level `id` first. */
export function errorBodyText(reply: ErrorReply, requestId: string): string {
  return reply.verbatim ?? JSON.stringify({ id: reply.body.id ?? requestId, error: reply.body.error });
}

/**
 * The answer for a connection node:http could not turn into a request (or a CONNECT, `code` 'CONNECT', which it
 * would close unanswered): still the envelope, never a stack.
 */
export function rawClientError(socket: Duplex, code: string | undefined, requestId: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const timeout = code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const tooLarge = code === 'HPE_HEADER_OVERFLOW';
  const connect = code === 'CONNECT';
  const reply = connect
    ? gatewayErrorReply({
        status: 405,
        category: 'validation',
        code: 'method_not_allowed',
        message: 'CONNECT is not allowed: the gateway is not a proxy.',
        fix: 'Send GET or POST requests to the gateway itself, e.g. POST /v1/chat/completions.',
        extraHeaders: { allow: 'GET, POST' },
      })
    : timeout
    ? gatewayErrorReply({
        status: 408,
        category: 'timeout',
        code: 'request_timeout',
        message: 'The request was not received in time.',
        fix: 'Send the whole request promptly, or raise `limits.headersTimeoutMs` / `limits.requestTimeoutMs` in the gateway config.',
      })
    : tooLarge
      ? gatewayErrorReply({
          status: 431,
          category: 'validation',
          code: 'headers_too_large',
          message: 'The request headers are too large.',
          fix: 'Send smaller headers.',
        })
      : gatewayErrorReply({
          status: 400,
          category: 'validation',
          code: 'bad_http_request',
          message: 'The request is not valid HTTP/1.1.',
          fix: 'Use an HTTP client library.',
        });
  const body = errorBodyText(reply, requestId);
  const reason = connect ? 'Method Not Allowed' : timeout ? 'Request Timeout' : tooLarge ? 'Request Header Fields Too Large' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${reply.status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `x-tether-category: ${reply.category}\r\nx-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** Resolves when `res` can take more data, or when it closed (the caller checks `res.destroyed`). */
export function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
