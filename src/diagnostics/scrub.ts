// Removing secrets from anything a diagnostics file holds — not only the key as typed, but its encoded forms:
// URL-encoded, JSON-escaped, and base64 / base64url at any alignment (as inside `Basic base64(user:key)`).
import { REDACTED, redactSecrets } from '../errors/index.js';

/** Shorter values are not treated as secrets: they would match ordinary text. */
const MIN_SECRET_LENGTH = 8;
/** A base64 core shorter than this could occur by chance. */
const MIN_CORE_LENGTH = 8;

/** Names (lower-case, `-`/`_` removed) whose values are credentials wherever they appear. */
const SECRET_NAMES = new Set(['authorization', 'proxyauthorization', 'cookie', 'setcookie', 'key', 'keys', 'auth', 'bearer']);
const SECRET_SUFFIXES = ['apikey', 'secret', 'password', 'passwd', 'token', 'tokens', 'credential', 'credentials', 'privatekey'];
/** Fields that end like a secret name but are numbers about tokens (max_tokens, tokensPerMinute…). */
const NOT_SECRET = /max|min|limit|per|count|remaining|used|usage|prompt|completion|total/;

/** Whether a field or header name holds a credential (`apiKey`, `x-api-key`, `Authorization`, `client_tokens`…). */
export function isSecretName(name: string): boolean {
  const normal = name.toLowerCase().replace(/[-_\s]/g, '');
  if (SECRET_NAMES.has(normal)) return true;
  if (NOT_SECRET.test(normal)) return false;
  return SECRET_SUFFIXES.some((suffix) => normal.endsWith(suffix));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The part of base64(pad + secret) that depends on the secret's bytes alone, for each of the three alignments a
 * secret can have inside a longer encoded string. Any base64 text that encodes the secret contains one of them.
 */
export function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const cores = new Set<string>();
  for (let pad = 0; pad < 3; pad++) {
    const encoded = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64');
    const start = pad === 0 ? 0 : 4;
    const end = 4 * Math.floor((pad + bytes.length) / 3);
    const core = encoded.slice(start, end);
    if (core.length >= MIN_CORE_LENGTH) {
      cores.add(core);
      cores.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return [...cores];
}

/** The exact forms a secret may take in text: as is, URL-encoded, JSON-escaped. */
function literalForms(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

const BASE64_TOKEN = /[A-Za-z0-9+/_-]{8,}={0,2}/g;
const PERCENT_TOKEN = /(?:[^\s"'<>%]|%[0-9A-Fa-f]{2})*%[0-9A-Fa-f]{2}(?:[^\s"'<>%]|%[0-9A-Fa-f]{2})*/g;

export interface Scrubber {
  /** The secrets it removes (for tests and for passing on). */
  readonly secrets: readonly string[];
  /** Text with every form of every secret, and anything shaped like an API key, replaced by `[redacted]`. */
  text(text: string): string;
  /** A deep copy with every string scrubbed and every credential-named field's value replaced. */
  value<T>(value: T): T;
  /** Only the exact literal and base64 forms (safe on serialized JSON: no replacement spans a quote). */
  literal(text: string): string;
}

export function createScrubber(secrets: Iterable<string | undefined>): Scrubber {
  const list = [...new Set([...secrets].filter((s): s is string => typeof s === 'string' && s.trim().length >= MIN_SECRET_LENGTH).map((s) => s.trim()))];
  // Longest first, so a key is replaced before any shorter secret inside it.
  const literals = [...new Set(list.flatMap(literalForms))].sort((a, b) => b.length - a.length);
  const literalPattern = literals.length > 0 ? new RegExp(literals.map(escapeRegExp).join('|'), 'g') : undefined;
  const cores = list.flatMap(base64Cores);

  const literal = (text: string): string => {
    let out = literalPattern === undefined ? text : text.replace(literalPattern, REDACTED);
    if (cores.length > 0) out = out.replace(BASE64_TOKEN, (token) => (cores.some((core) => token.includes(core)) ? REDACTED : token));
    return out;
  };

  const decodesToSecret = (token: string): boolean => {
    try {
      const decoded = decodeURIComponent(token);
      return list.some((secret) => decoded.includes(secret));
    } catch {
      return false;
    }
  };

  const text = (input: string): string => {
    let out = literal(input);
    if (list.length > 0 && out.includes('%')) out = out.replace(PERCENT_TOKEN, (token) => (decodesToSecret(token) ? REDACTED : token));
    return redactSecrets(out);
  };

  const value = <T>(input: T): T => scrubValue(input, text, 0) as T;

  return { secrets: list, text, value, literal };
}

const MAX_DEPTH = 64;

/** A key fingerprint (`keyFingerprint` in policy): a hash prefix, safe to show, and what pacing state is keyed by. */
const FINGERPRINT = /^key_[0-9a-f]{16}$/;

function scrubValue(input: unknown, text: (s: string) => string, depth: number): unknown {
  if (typeof input === 'string') return text(input);
  if (typeof input !== 'object' || input === null) return input;
  if (depth > MAX_DEPTH) return '[too deep]';
  if (Array.isArray(input)) return input.map((item) => scrubValue(item, text, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(input as Record<string, unknown>)) {
    const keep = typeof inner === 'string' && FINGERPRINT.test(inner);
    out[text(key)] = isSecretName(key) && !keep ? redactedValue(inner, text) : scrubValue(inner, text, depth + 1);
  }
  return out;
}

/** A credential field's value, replaced, keeping only its shape (a list stays a list; numbers and flags stay). */
function redactedValue(value: unknown, text: (s: string) => string): unknown {
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((item) => redactedValue(item, text));
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, inner]) => [text(key), redactedValue(inner, text)]));
  }
  return REDACTED;
}
