// A hostile upstream for tests: an HTTP server on 127.0.0.1 that speaks just enough of Together's API (GET /models,
// POST /chat/completions) to be sent to, and then misbehaves as the request's model asks (`hostile/<behaviour>`):
// it echoes every key it was ever sent, in every encoding, in error bodies, answers, events and headers; it sends
// huge or endless bodies (generated as they are written, never held in memory), SSE without a newline, poisoned
// rate-limit headers, or nothing at all after accepting a request or after its headers.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const HOSTILE_BEHAVIOURS = [
  /** 400 whose message and fields hold every key in every form; the key in x-request-id and other headers too. */
  'echo-error',
  /** 500 whose body holds every key in every form (retryable: the pipeline retries it). */
  'echo-server-error',
  /** 200 whose completion text and headers hold every key in every form. */
  'echo-json',
  /** A stream whose chunks hold every key in every form. */
  'echo-stream',
  /** A stream whose error event holds every key in every form. */
  'echo-stream-error',
  /** 200 JSON of 400 MB (generated lazily). */
  'huge-json',
  /** 500 with a 400 MB body. */
  'huge-error',
  /** 200 JSON that never ends. */
  'endless-json',
  /** A stream whose one `data:` line never ends. */
  'sse-no-newline',
  /** A valid answer saying the key's window is spent for an hour. */
  'poisoned-reset',
  /** A valid answer with x-ratelimit-reset: 99999999 and remaining 0 (a 32-bit timer overflow). */
  'poisoned-overflow',
  /** A valid answer saying the key's token budget is 1 token a minute. */
  'poisoned-tokenlimit',
  /** Reads the request, then says nothing, ever. */
  'silent-accept',
  /** Sends 200 headers, then nothing. */
  'silent-headers',
  /** A plain, valid answer. */
  'ok',
] as const;

export type HostileBehaviour = (typeof HOSTILE_BEHAVIOURS)[number];

export const HOSTILE_MODEL_PREFIX = 'hostile/';

export function hostileModel(behaviour: HostileBehaviour): string {
  return `${HOSTILE_MODEL_PREFIX}${behaviour}`;
}

const HUGE_BYTES = 400 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'a');

/** Every form a key is echoed in: as typed, URL-encoded, JSON-escaped, hex, base64/base64url at offsets 0-2 mid-string. */
export function secretForms(key: string): Record<string, string> {
  const b64 = (text: string): string => Buffer.from(text).toString('base64');
  const b64url = (text: string): string => Buffer.from(text).toString('base64url');
  const hex = Buffer.from(key).toString('hex');
  return {
    raw: key,
    url: encodeURIComponent(key),
    urlAll: [...Buffer.from(key)].map((byte) => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`).join(''),
    base64: b64(key),
    base64Offset1: b64(`x${key}tail`),
    base64Offset2: b64(`xy${key}tail`),
    base64Mid: `prefix${b64(`user:${key}:more`)}suffix`,
    base64url: b64url(key),
    base64urlOffset1: b64url(`-${key}!`),
    base64urlOffset2: b64url(`--${key}!`),
    basicAuth: `Basic ${b64(`user:${key}`)}`,
    hex,
    hexUpper: hex.toUpperCase(),
    // Written into JSON text as it is, so a JSON reader decodes it back to the key.
    jsonUnicode: [...key].map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
    jsonSlash: key.replace(/\//g, '\\/'),
  };
}

/** Every form of every key, as one text for a JSON string value (the \u and \/ forms stay escapes in the JSON). */
function echoText(keys: Iterable<string>): string {
  const parts: string[] = [];
  for (const key of keys) for (const [name, form] of Object.entries(secretForms(key))) parts.push(`${name}=${form}`);
  return parts.join(' ');
}

/** A JSON string literal holding `text`, keeping the `\uXXXX` / `\/` escapes it already has. */
function jsonStringKeepingEscapes(text: string): string {
  return `"${text.replace(/"/g, '\\"')}"`;
}

export interface HostileUpstream {
  readonly baseUrl: string;
  /** Every bearer token it was sent. */
  readonly keysSeen: ReadonlySet<string>;
  /** Body bytes written per behaviour (how much of a huge body went out before the client stopped it). */
  readonly bytesSent: Map<HostileBehaviour, number>;
  /** Requests per behaviour. */
  readonly requests: Map<HostileBehaviour, number>;
  /** Open sockets now (a client that stopped reading must close its connection). */
  openSockets(): number;
  close(): Promise<void>;
}

function completion(model: string, content: string): string {
  return JSON.stringify({
    id: 'hostile-1',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  });
}

function chunk(model: string, content: string, finish: string | null = null): string {
  return JSON.stringify({ id: 'hostile-1', object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [{ index: 0, delta: { content }, finish_reason: finish }] });
}

async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const part of req) chunks.push(part as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Writes `total` bytes (Infinity: forever) of `a`s after `head`, honouring backpressure, until the client leaves. */
async function writeLazily(res: ServerResponse, head: string, total: number, count: (bytes: number) => void): Promise<void> {
  res.write(head);
  count(head.length);
  let sent = 0;
  while (sent < total && !res.destroyed) {
    const piece = total - sent >= CHUNK.length ? CHUNK : CHUNK.subarray(0, total - sent);
    sent += piece.length;
    count(piece.length);
    if (!res.write(piece)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
}

export async function startHostileUpstream(): Promise<HostileUpstream> {
  const keysSeen = new Set<string>();
  const bytesSent = new Map<HostileBehaviour, number>();
  const requests = new Map<HostileBehaviour, number>();
  const sockets = new Set<Socket>();
  const add = (map: Map<HostileBehaviour, number>, behaviour: HostileBehaviour, n: number): void => void map.set(behaviour, (map.get(behaviour) ?? 0) + n);

  const echoHeaders = (): Record<string, string> => {
    const [first] = keysSeen;
    if (first === undefined) return {};
    const forms = secretForms(first);
    return { 'x-request-id': forms.base64Offset1!, 'x-echo-key': forms.raw!, 'x-echo-b64': forms.base64!, 'x-echo-hex': forms.hex! };
  };

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const auth = /^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1];
      if (auth !== undefined) keysSeen.add(auth);
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (req.method === 'GET' && path.endsWith('/models')) {
        const models: Array<Record<string, unknown>> = HOSTILE_BEHAVIOURS.map((b) => ({ id: hostileModel(b), object: 'model', type: 'chat', context_length: 32_768 }));
        // The list echoes the keys too: as a model id and a display name.
        for (const key of keysSeen) {
          const forms = secretForms(key);
          models.push({ id: `echo/${forms.base64Offset1}`, object: 'model', type: 'chat', display_name: `${forms.hex} ${forms.raw}`, context_length: 8192 });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(models));
        return;
      }
      if (path.endsWith('/files')) {
        // Any other API path (passed straight through by resilientFetch): a 401 echoing every key.
        res.writeHead(401, { 'content-type': 'application/json' }).end(`{"error":{"message":${jsonStringKeepingEscapes(echoText(keysSeen))},"code":"invalid_api_key"}}`);
        return;
      }
      let parsed: { model?: unknown; stream?: unknown } = {};
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        // answered below as an unknown model
      }
      const model = typeof parsed.model === 'string' ? parsed.model : '';
      const behaviour = model.slice(HOSTILE_MODEL_PREFIX.length) as HostileBehaviour;
      if (!model.startsWith(HOSTILE_MODEL_PREFIX) || !HOSTILE_BEHAVIOURS.includes(behaviour)) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'unknown model', type: 'invalid_request_error', code: 'model_not_found' } }));
        return;
      }
      add(requests, behaviour, 1);
      const count = (n: number): void => add(bytesSent, behaviour, n);
      const echoed = jsonStringKeepingEscapes(echoText(keysSeen));
      const stream = parsed.stream === true;
      switch (behaviour) {
        case 'echo-error':
        case 'echo-server-error': {
          const text = `{"id":${jsonStringKeepingEscapes(secretForms([...keysSeen][0] ?? 'none').base64Offset2!)},"error":{"message":${echoed},"type":${echoed},"param":${echoed},"code":"invalid_api_key_echo"}}`;
          res.writeHead(behaviour === 'echo-error' ? 400 : 500, { 'content-type': 'application/json', ...echoHeaders() }).end(text);
          count(text.length);
          return;
        }
        case 'echo-json':
        case 'ok':
        case 'poisoned-reset':
        case 'poisoned-overflow':
        case 'poisoned-tokenlimit': {
          const headers: Record<string, string> = { 'content-type': stream ? 'text/event-stream' : 'application/json' };
          if (behaviour === 'poisoned-reset') Object.assign(headers, { 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '3600' });
          if (behaviour === 'poisoned-overflow') Object.assign(headers, { 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '99999999' });
          if (behaviour === 'poisoned-tokenlimit') Object.assign(headers, { 'x-ratelimit-limit': '100', 'x-tokenlimit-limit': '1', 'x-tokenlimit-remaining': '0' });
          if (behaviour === 'echo-json') Object.assign(headers, echoHeaders());
          const content = behaviour === 'echo-json' ? `__ECHO__` : 'fine';
          let text = stream
            ? `data: ${chunk(model, content)}\n\ndata: ${chunk(model, '', 'stop')}\n\ndata: [DONE]\n\n`
            : completion(model, content);
          text = text.replace('"__ECHO__"', echoed);
          res.writeHead(200, headers).end(text);
          count(text.length);
          return;
        }
        case 'echo-stream': {
          res.writeHead(200, { 'content-type': 'text/event-stream', ...echoHeaders() });
          const text = `data: ${chunk(model, '__ECHO__').replace('"__ECHO__"', echoed)}\n\ndata: ${chunk(model, '', 'stop')}\n\ndata: [DONE]\n\n`;
          res.end(text);
          count(text.length);
          return;
        }
        case 'echo-stream-error': {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          const text = `data: ${chunk(model, 'hi')}\n\ndata: {"error":{"message":${echoed},"type":"server_error","code":500}}\n\n`;
          res.end(text);
          count(text.length);
          return;
        }
        case 'huge-json':
        case 'endless-json':
          res.writeHead(200, { 'content-type': 'application/json' });
          await writeLazily(res, `{"id":"x","object":"chat.completion","model":"${model}","choices":[{"index":0,"message":{"role":"assistant","content":"`, behaviour === 'huge-json' ? HUGE_BYTES : Infinity, count);
          if (!res.destroyed) res.end('"}}]}');
          return;
        case 'huge-error':
          res.writeHead(500, { 'content-type': 'application/json' });
          await writeLazily(res, '{"error":{"message":"', HUGE_BYTES, count);
          if (!res.destroyed) res.end('"}}');
          return;
        case 'sse-no-newline':
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          await writeLazily(res, 'data: {"choices":[{"delta":{"content":"', Infinity, count);
          return;
        case 'silent-accept':
          return; // the socket stays open, unanswered
        case 'silent-headers':
          res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
          res.flushHeaders();
          return;
      }
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    keysSeen,
    bytesSent,
    requests,
    openSockets: () => sockets.size,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Which forms of `key` a text gives away, found by decoding rather than by the scrubber's own rules: the text as is,
 * JSON- and URL-decoded, and every long base64 / hex run decoded at every alignment.
 */
export function leakedForms(text: string, key: string): string[] {
  const found = new Set<string>();
  const unescaped = text.replace(/\\u([0-9a-fA-F]{4})/g, (_, code: string) => String.fromCharCode(Number.parseInt(code, 16))).replace(/\\\//g, '/');
  const variants: Record<string, string> = { text, unescaped };
  try {
    variants['urlDecoded'] = decodeURIComponent(unescaped);
  } catch {
    variants['urlDecoded'] = unescaped.replace(/%[0-9A-Fa-f]{2}/g, (hex) => String.fromCharCode(Number.parseInt(hex.slice(1), 16)));
  }
  for (const [name, variant] of Object.entries(variants)) {
    if (variant.includes(key)) found.add(`raw in ${name}`);
    for (const run of variant.match(/[A-Za-z0-9+/_-]{16,}/g) ?? []) {
      for (let offset = 0; offset < 4; offset++) {
        const decoded = Buffer.from(run.slice(offset).replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1');
        if (decoded.includes(key)) found.add(`base64 in ${name}`);
      }
    }
    for (const run of variant.match(/[0-9a-fA-F]{16,}/g) ?? []) {
      for (let offset = 0; offset < 2; offset++) {
        if (Buffer.from(run.slice(offset), 'hex').toString('latin1').includes(key)) found.add(`hex in ${name}`);
      }
    }
  }
  return [...found];
}
