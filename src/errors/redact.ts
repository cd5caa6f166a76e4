// Keeping API keys out of every message tether builds from text it did not write (bodies, headers, errors).

export const REDACTED = '[redacted]';

/** Shapes of secrets that may turn up in a body or an echoed header. Order matters: the widest forms first. */
const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // "Authorization: Bearer xyz", "Bearer xyz" anywhere in a text (not a placeholder such as $TOGETHER_API_KEY or <key>).
  [/\b(Bearer|Basic)\s+(?![$<[])[^\s"'`,;<>]+/gi, `$1 ${REDACTED}`],
  // api_key=…, "apiKey": "…", x-api-key: …
  [/\b((?:x-)?api[_-]?key["']?\s*[:=]\s*["']?)[^\s"'`,;&<>]{6,}/gi, `$1${REDACTED}`],
  // Together keys (current tgp_v1_… form) and OpenAI-style sk-… keys a user may have pasted.
  [/\btgp_v\d+_[A-Za-z0-9_-]{8,}/g, REDACTED],
  [/\bsk-[A-Za-z0-9_-]{16,}/g, REDACTED],
  // Together's older keys are 64 hex characters.
  [/\b[a-f0-9]{64}\b/gi, REDACTED],
];

/** Exact values (at least this long) given as secrets are scrubbed wherever they occur. */
const MIN_EXACT_SECRET_LENGTH = 8;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Text with anything that looks like an API key replaced by `[redacted]`, plus every exact value in `secrets`
 * (e.g. the Authorization header the request was sent with).
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= MIN_EXACT_SECRET_LENGTH) out = out.replace(new RegExp(escapeRegExp(secret), 'g'), REDACTED);
  }
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Header names whose values are credentials. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'api-key', 'cookie', 'set-cookie']);

/** The credential values among a list of headers (and, for `Bearer x`, `x` alone), to pass to redactSecrets. */
export function secretsFromHeaders(headers: ReadonlyArray<readonly [string, string]>): string[] {
  const secrets: string[] = [];
  for (const [name, value] of headers) {
    if (!SECRET_HEADERS.has(name.toLowerCase())) continue;
    secrets.push(value);
    const token = /^\s*\S+\s+(\S+)\s*$/.exec(value)?.[1];
    if (token) secrets.push(token);
  }
  return secrets;
}
