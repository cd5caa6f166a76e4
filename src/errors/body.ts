// Turning whatever an error response carried (Together JSON, other envelopes, HTML, text, nothing) into facts.

/** Which form the body had; decides how the message is worded. */
export type BodyShape =
  /** `{"error": {"message", "type", "param", "code"}}` (with an optional top-level `id`). */
  | 'together'
  /** The batch API's `{"error": "<string>"}`. */
  | 'batch'
  /** Older responses: a top-level `{"message": "…"}` (also `{"detail": "…"}`). */
  | 'legacy'
  /** Valid JSON of no known shape. */
  | 'json'
  /** An HTML page: a proxy, CDN or captive portal answered, not Together. */
  | 'html'
  /** Plain text, or JSON that did not parse. */
  | 'text'
  | 'empty';

export interface ParsedBody {
  shape: BodyShape;
  /** Text for a person: Together's inner message, the HTML title, or the start of the text (truncated). */
  message?: string;
  code?: string;
  type?: string;
  param?: string;
  /** Together's top-level body `id` (looks like `okkMWqL-2kFHot-a023f60e9b77ff7e`). */
  id?: string;
  /** Whether the message was cut to fit. */
  truncated?: boolean;
}

/** The most of a body's text we quote back; the rest is never shown. */
export const MAX_QUOTE_CHARS = 300;
/** The most of a body we decode and parse; an error body larger than this is not Together's JSON. */
const MAX_PARSE_CHARS = 1_000_000;

/** Whitespace collapsed and cut to `max` characters with an ellipsis. */
export function quote(text: string, max: number = MAX_QUOTE_CHARS): { text: string; truncated: boolean } {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return { text: flat, truncated: false };
  return { text: `${flat.slice(0, max - 1).trimEnd()}…`, truncated: true };
}

function bodyToText(body: unknown): string | undefined {
  if (typeof body === 'string') return body.length > MAX_PARSE_CHARS ? body.slice(0, MAX_PARSE_CHARS) : body;
  if (body instanceof Uint8Array) {
    const bytes = body.byteLength > MAX_PARSE_CHARS ? body.subarray(0, MAX_PARSE_CHARS) : body;
    return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  }
  if (body instanceof ArrayBuffer) return bodyToText(new Uint8Array(body));
  return undefined;
}

function stringField(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** JSON text of a value, or undefined when it cannot be serialised (cycles, BigInt). */
function safeStringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withMessage(base: ParsedBody, message: string | undefined): ParsedBody {
  if (message === undefined) return base;
  const quoted = quote(message, MAX_QUOTE_CHARS * 2);
  return { ...base, message: quoted.text, ...(quoted.truncated ? { truncated: true } : {}) };
}

function fromInnerError(inner: Record<string, unknown>, shape: BodyShape, id: string | undefined): ParsedBody {
  const parsed: ParsedBody = { shape };
  const code = stringField(inner.code);
  // Together's docs call the dynamic-limit field `error_type`; accept it wherever it turns up.
  const type = stringField(inner.type) ?? stringField(inner.error_type);
  const param = stringField(inner.param);
  if (code !== undefined) parsed.code = code;
  if (type !== undefined) parsed.type = type;
  if (param !== undefined) parsed.param = param;
  if (id !== undefined) parsed.id = id;
  const message = stringField(inner.message) ?? (isRecord(inner.message) ? safeStringify(inner.message) : undefined);
  return withMessage(parsed, message);
}

/** A parsed JSON value (or an object handed to us already parsed) read as an error body. */
export function parseJsonBody(json: unknown): ParsedBody {
  if (typeof json === 'string') return parseTextBody(json);
  if (!isRecord(json)) return withMessage({ shape: 'json' }, json === null || json === undefined ? undefined : safeStringify(json));
  const id = stringField(json.id);
  const error = json.error;
  if (isRecord(error)) return fromInnerError(error, 'together', id);
  if (typeof error === 'string' && error.trim() !== '') {
    return withMessage({ shape: 'batch', ...(id !== undefined ? { id } : {}) }, error);
  }
  const legacy = stringField(json.message) ?? stringField(json.detail);
  if (legacy !== undefined) {
    // Already the inner object (e.g. an SDK's `error` field), or the old top-level form.
    const parsed = fromInnerError(json, 'legacy', id);
    return { ...parsed, message: parsed.message ?? quote(legacy).text };
  }
  const fallback = stringField(json.error_type) ?? stringField(json.code);
  if (fallback !== undefined) return fromInnerError(json, 'legacy', id);
  return withMessage({ shape: 'json', ...(id !== undefined ? { id } : {}) }, safeStringify(json));
}

const HTML_START = /^\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<\?xml[^>]*>\s*<html)/i;

const HTML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16) || 0x3f);
    if (name.startsWith('#') && name !== '#39') return String.fromCodePoint(Number(name.slice(1)) || 0x3f);
    return HTML_ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** The page's <title>, else its first <h1>, decoded and truncated; undefined when it has neither. */
function htmlTitle(html: string): string | undefined {
  const head = html.slice(0, 64 * 1024);
  const raw = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(head)?.[1] ?? /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(head)?.[1];
  if (raw === undefined) return undefined;
  const text = quote(decodeEntities(raw.replace(/<[^>]*>/g, ' ')), 120).text;
  return text === '' ? undefined : text;
}

function parseTextBody(text: string, contentType?: string): ParsedBody {
  if (text.trim() === '') return { shape: 'empty' };
  if (HTML_START.test(text) || (contentType !== undefined && /\bhtml\b/i.test(contentType))) {
    const title = htmlTitle(text);
    return title === undefined ? { shape: 'html' } : { shape: 'html', message: title };
  }
  const quoted = quote(text);
  return { shape: 'text', message: quoted.text, ...(quoted.truncated ? { truncated: true } : {}) };
}

/**
 * Reads an error body in any form it arrives in: a string, bytes, an already-parsed object, or nothing.
 * Never throws; anything unrecognised comes back as `text` or `json` with a truncated quote.
 */
export function parseErrorBody(body: unknown, contentType?: string): ParsedBody {
  if (body === undefined || body === null) return { shape: 'empty' };
  const text = bodyToText(body);
  if (text === undefined) return parseJsonBody(body);
  const trimmed = text.trim();
  if (trimmed === '') return { shape: 'empty' };
  if (trimmed.startsWith('{') || trimmed.startsWith('[') || trimmed.startsWith('"')) {
    try {
      return parseJsonBody(JSON.parse(trimmed) as unknown);
    } catch {
      // Not JSON after all (or cut short): quote it as text.
    }
  }
  return parseTextBody(text, contentType);
}
