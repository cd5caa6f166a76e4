// The decision table (DESIGN.md's failure table as data): which failure is which category, whether a retry can
// help, and what to tell a person. classify() and classifyNetworkError() only look things up here.
import type { ErrorCategory } from './together-error.js';
import type { BodyShape } from './body.js';
import { CONTEXT_LENGTH_TEXT, contextLengthCause, contextLengthFix, parseContextLengthNumbers } from './context-length.js';
import type { ContextLengthNumbers } from './context-length.js';
import { BILLING_FIX } from './front-door.js';

/** Where the API key in use came from, so a 401 can say which one to fix. */
export type KeySource = 'env' | 'flag' | 'config';

/** What the sentences of a row may refer to. */
export interface RuleFacts {
  status?: number | undefined;
  code?: string | undefined;
  param?: string | undefined;
  message: string;
  model?: string | undefined;
  keySource?: KeySource | undefined;
  retryAfterMs?: number | undefined;
  details?: Record<string, number | string> | undefined;
  /** host:port (or host) a transport error was about. */
  host?: string | undefined;
}

/** A sentence for a person, fixed or built from the facts. */
export type Sentence = string | ((facts: RuleFacts) => string);

export interface CategoryDefaults {
  cause: Sentence;
  fix: Sentence;
  /** Whether sending the same request again can succeed. The one place this is decided per category. */
  retryable: boolean;
}

const BILLING_URL = 'https://api.together.xyz/settings/billing';
const KEYS_URL = 'https://api.together.xyz/settings/api-keys';
const MODELS_URL = 'https://api.together.ai/models';
const BASE_URL_HINT = 'TOGETHER_BASE_URL (default https://api.together.ai/v1)';

/** Longer waits read "more than 365 days": no server means a wait that long (a retry-after of 1e21 s is noise). */
const LONGEST_SHOWN_MS = 365 * 86_400_000;

/** "250 ms", "2 s", "1.5 s", "3 min 5 s", "2 h 5 min", "3 days 4 h", "more than 365 days". */
export function formatDuration(ms: number): string {
  if (!(ms <= LONGEST_SHOWN_MS)) return 'more than 365 days'; // NaN and Infinity too
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`; // a negative wait is no wait
  const seconds = Math.round(ms / 100) / 10;
  if (seconds < 120) return `${seconds} s`;
  const whole = Math.round(seconds);
  if (whole < 7200) return `${Math.floor(whole / 60)} min${whole % 60 ? ` ${whole % 60} s` : ''}`;
  const minutes = Math.round(whole / 60);
  if (minutes < 2880) return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  const hours = Math.round(minutes / 60);
  return `${Math.floor(hours / 24)} days${hours % 24 ? ` ${hours % 24} h` : ''}`;
}

function waitFirst(facts: RuleFacts): string {
  return facts.retryAfterMs === undefined
    ? 'Retry after a jittered backoff'
    : `Wait ${formatDuration(facts.retryAfterMs)} (the server's retry-after) before retrying`;
}

function theModel(facts: RuleFacts, fallback = 'The model'): string {
  return facts.model === undefined ? fallback : `Model ${facts.model}`;
}

const KEY_SOURCE_NAMES: Record<KeySource, string> = {
  env: 'the TOGETHER_API_KEY environment variable',
  flag: 'the --api-key flag',
  config: "tether's config file",
};

const KEY_REPLACEMENT: Record<KeySource | 'unknown', string> = {
  env: `set TOGETHER_API_KEY to a key from ${KEYS_URL}`,
  flag: `pass a key from ${KEYS_URL} with --api-key`,
  config: `put a key from ${KEYS_URL} in tether's config file`,
  unknown: `replace it (in TOGETHER_API_KEY, --api-key or the config file, whichever you use) with a key from ${KEYS_URL}`,
};

function keyCheckCommand(facts: RuleFacts): string {
  const key = facts.keySource === undefined || facts.keySource === 'env' ? '$TOGETHER_API_KEY' : '<your key>';
  return `curl -H "Authorization: Bearer ${key}" https://api.together.ai/v1/models`;
}

/** Defaults per category: used for any row that does not say better. */
export const CATEGORY_DEFAULTS: Readonly<Record<ErrorCategory, CategoryDefaults>> = {
  auth: {
    cause: (f) =>
      `Together rejected the API key from ${f.keySource === undefined ? 'TOGETHER_API_KEY, --api-key or the config file' : KEY_SOURCE_NAMES[f.keySource]}: it is missing, malformed or revoked.`,
    fix: (f) => `Check the key with \`${keyCheckCommand(f)}\` or \`tether doctor\`; if it is refused, ${KEY_REPLACEMENT[f.keySource ?? 'unknown']}.`,
    retryable: false,
  },
  billing: {
    cause: 'The account has run out of credit or reached its spending limit.',
    // Door-neutral: each front door words its own resume step (front-door.ts).
    fix: BILLING_FIX,
    retryable: false,
  },
  rate_limit: {
    cause: "You sent more requests (or tokens) per minute than your key's rate limit for this model.",
    fix: (f) =>
      `${waitFirst(f)}, lower your concurrency (tether paces requests from the x-ratelimit-* headers), or move to a higher build tier at ${BILLING_URL} for a higher limit.`,
    retryable: true,
  },
  validation: {
    cause: 'Together rejected the request as invalid: bad JSON, an unknown or out-of-range parameter, or a wrong prompt format.',
    fix: (f) =>
      `Correct ${f.param === undefined ? 'the request' : `the \`${f.param}\` parameter`} as the message says (the API reference is at https://docs.together.ai/reference); sending it again unchanged will fail again.`,
    retryable: false,
  },
  context_length: {
    cause: (f) => contextLengthCause(numbersOf(f)),
    fix: (f) => contextLengthFix(numbersOf(f)),
    retryable: false,
  },
  not_found: {
    cause: 'Together has no such endpoint or resource: the URL path or the id in it is wrong.',
    fix: `Check that ${BASE_URL_HINT} ends in /v1 and that the id in the path exists on this account.`,
    retryable: false,
  },
  overloaded: {
    cause: (f) =>
      `${theModel(f)} is overloaded on Together's side: a 503 at or under your rate limit is Together's capacity, not your limit.`,
    fix: 'Retry with jittered backoff, then fall back to another model of the same family (`tether models` lists them); a tether fallback route does this for you.',
    retryable: true,
  },
  server: {
    cause: "Together's server failed while handling the request: an error on their side, not in the request.",
    fix: 'Retry after a short backoff; if it keeps failing, report the request id to Together support (https://support.together.ai).',
    retryable: true,
  },
  timeout: {
    cause: 'The request took longer than Together (or its gateway) allows, so it was cut off before an answer.',
    fix: 'Retry with backoff; for long generations stream the response (`stream: true`) or lower max_tokens.',
    retryable: true,
  },
  network: {
    cause: (f) => `The connection to ${f.host ?? 'the API'} failed before Together could answer.`,
    fix: `Retry with backoff; if it keeps failing check the network, HTTPS_PROXY and ${BASE_URL_HINT} (\`tether doctor\` checks them).`,
    retryable: true,
  },
};

function numbersOf(facts: RuleFacts): ContextLengthNumbers {
  const out: ContextLengthNumbers = {};
  const { limit, promptTokens, maxTokens } = facts.details ?? {};
  if (typeof limit === 'number') out.limit = limit;
  if (typeof promptTokens === 'number') out.promptTokens = promptTokens;
  if (typeof maxTokens === 'number') out.maxTokens = maxTokens;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP responses. The first row whose every condition holds wins; the order encodes precedence.

export interface HttpRuleMatch {
  /** Any of these statuses. */
  statuses?: readonly number[];
  /** A status in [min, max]. */
  range?: readonly [number, number];
  /** Together's code (or its `error.type` when that names a known code). */
  codes?: readonly string[];
  /** Tested against Together's inner message. */
  text?: RegExp;
  /** The body's form. */
  shapes?: readonly BodyShape[];
}

export interface HttpRule {
  /** A stable name for tests and logs. */
  id: string;
  when: HttpRuleMatch;
  category: ErrorCategory;
  cause?: Sentence;
  fix?: Sentence;
  /** Only where this row must differ from its category's default. */
  retryable?: boolean;
  /** Numbers read out of the message, stored in `details`. */
  details?: (message: string) => Record<string, number | string>;
}

/** Codes Together puts in `error.code` (or, with code null, in `error.type`). */
export const TOGETHER_CODES: readonly string[] = [
  'invalid_api_key',
  'model_not_found',
  'model_not_available',
  'invalid_model',
  'credit_limit',
  'dynamic_request_limited',
  'dynamic_token_limited',
  'model_rate_limit',
  'rate_limit_exceeded',
  'dedicated_endpoint_not_running',
  'context_length_exceeded',
];

const TIER_GATE_TEXT = /allowed for build tier\s*(\d+)/i;
const MODEL_MISSING_TEXT =
  /unable to access model|model\b[^.]{0,120}\b(?:not found|does not exist|is not supported|not available)|invalid model|no such model|unknown model/i;
const NON_SERVERLESS_TEXT = /non-serverless model|dedicated endpoint for the model/i;
const ENDPOINT_STOPPED_TEXT = /dedicated endpoint for \S+ is not running/i;
const DATASET_TEXT = /invalid format on line|on line \d+|input file|dataset|jsonl|missing required column|multiple dataset formats/i;
const FINETUNE_TEXT = /fine-?tun|\bft-[0-9a-f-]{6,}/i;
const BATCH_TEXT = /\bbatch/i;

function contextDetails(message: string): Record<string, number> {
  return { ...parseContextLengthNumbers(message) };
}

const CLIENT_ERRORS: readonly [number, number] = [400, 499];
const CONTEXT_STATUSES: readonly number[] = [400, 403, 413, 422];
const MODEL_STATUSES: readonly number[] = [400, 404];

/** The three ways a model id fails, each told one way whichever signal (code or text) identified it. */
const UNKNOWN_MODEL = {
  category: 'not_found',
  cause: (f: RuleFacts) =>
    `${f.model === undefined ? 'The model id' : `"${f.model}"`} is not a model this key can use: the id is misspelt, deprecated or gated.`,
  fix: 'Model ids must match exactly (e.g. `meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo`): run `tether models` to list the ids this key can use and copy one.',
} as const;
const NOT_SERVERLESS = {
  category: 'not_found',
  cause: (f: RuleFacts) => `${theModel(f, 'This model')} is not a serverless model: it runs only on a dedicated endpoint.`,
  fix: `Create and start a dedicated endpoint for it at ${MODELS_URL}, or pick a serverless model id instead (\`tether models\` lists them).`,
} as const;
const ENDPOINT_STOPPED = {
  category: 'not_found',
  cause: (f: RuleFacts) => `The dedicated endpoint for ${f.model ?? 'this model'} exists but is not running.`,
  fix: `Start the endpoint at ${MODELS_URL} (it bills while it runs), or switch to a serverless model id (\`tether models\` lists them).`,
} as const;

export const HTTP_RULES: readonly HttpRule[] = [
  // 401: never retried; says where the key came from.
  { id: 'unauthorized', when: { statuses: [401] }, category: 'auth' },
  {
    id: 'proxy-auth',
    when: { statuses: [407] },
    category: 'auth',
    cause: 'A proxy between you and Together asked for its own credentials (HTTP 407).',
    fix: 'Put the proxy credentials in HTTPS_PROXY (http://user:password@host:port), or list the API host in NO_PROXY if it should bypass the proxy.',
  },
  // 402: billing, whatever the body's type says.
  { id: 'payment-required', when: { statuses: [402] }, category: 'billing' },
  // 429: a rate limit even when the legacy body says credit_limit (facts §3.3).
  {
    id: 'dynamic-token-limit',
    when: { statuses: [429], codes: ['dynamic_token_limited'] },
    category: 'rate_limit',
    cause: "You sent more tokens per minute than your dynamic token limit for this model (it follows your recent successful usage).",
    fix: (f) => `${waitFirst(f)}, then send fewer or shorter requests (a lower max_tokens counts too) and ramp up gradually so the limit grows with you.`,
  },
  {
    id: 'dynamic-request-limit',
    when: { statuses: [429], codes: ['dynamic_request_limited'] },
    category: 'rate_limit',
    cause: 'You sent requests faster than your dynamic rate limit for this model: about twice your recent successful rate, and at least 60 a minute.',
    fix: (f) => `${waitFirst(f)}, lower your concurrency and ramp up gradually: the dynamic limit grows with sustained successful traffic.`,
  },
  {
    id: 'model-rate-limit',
    when: { statuses: [429], codes: ['model_rate_limit'] },
    category: 'rate_limit',
    cause: (f) => `${theModel(f, 'This model')} has its own per-model rate limit (free variants are limited to a few queries a minute), and you reached it.`,
    fix: (f) => `${waitFirst(f)}, lower your concurrency for this model, or use its paid (non -Free) variant or another model of the same family.`,
  },
  {
    id: 'legacy-plan-rate-limit',
    when: { statuses: [429], codes: ['credit_limit'] },
    category: 'rate_limit',
    cause: "You reached your plan's fixed rate limit (Together labels this 429 credit_limit, but it is a rate limit, not a billing failure).",
    fix: (f) => `${waitFirst(f)}, lower your concurrency, or upgrade to a paid plan or higher build tier at ${BILLING_URL} for a higher limit.`,
  },
  { id: 'rate-limit', when: { statuses: [429] }, category: 'rate_limit' },
  // Together's invalid-key code on any other status is still a key problem.
  { id: 'invalid-api-key', when: { codes: ['invalid_api_key'] }, category: 'auth' },
  // Context length: before the generic 400/403 rows, and never retried.
  {
    id: 'context-length-code',
    when: { range: CLIENT_ERRORS, codes: ['context_length_exceeded'] },
    category: 'context_length',
    details: contextDetails,
  },
  { id: 'context-length', when: { statuses: CONTEXT_STATUSES, text: CONTEXT_LENGTH_TEXT }, category: 'context_length', details: contextDetails },
  // 403: a tier gate or a refusal; an HTML 403 is a proxy or firewall, not Together.
  {
    id: 'proxy-forbidden',
    when: { statuses: [403], shapes: ['html'] },
    category: 'auth',
    cause: 'A proxy, firewall or CDN in front of the API blocked the request with an HTML page; Together itself answers in JSON.',
    fix: `Check HTTPS_PROXY / NO_PROXY and ${BASE_URL_HINT}, or ask your network's admin to allow api.together.ai.`,
  },
  {
    id: 'tier-gate',
    when: { statuses: [403, 400], text: TIER_GATE_TEXT },
    category: 'auth',
    details: (message): Record<string, number> => {
      const tier = TIER_GATE_TEXT.exec(message)?.[1];
      return tier === undefined ? {} : { requiredTier: Number(tier) };
    },
    cause: (f) => `This model is only open to accounts at build tier ${f.details?.requiredTier ?? 'N'} and above, and this account is below it.`,
    fix: (f) =>
      `Reach build tier ${f.details?.requiredTier ?? 'N'} (tiers follow lifetime spend: add credit at ${BILLING_URL}), or pick a model your tier can use (\`tether models\`).`,
  },
  {
    id: 'forbidden',
    when: { statuses: [403] },
    category: 'auth',
    cause: 'Together refused the request: this key may not use this model or endpoint.',
    fix: 'Check the key and its access with `tether doctor`, and use a model your account can access (`tether models`).',
  },
  // Models that exist but cannot be served, then ids that do not exist.
  { id: 'model-not-serverless', when: { statuses: MODEL_STATUSES, codes: ['model_not_available'] }, ...NOT_SERVERLESS },
  { id: 'endpoint-stopped', when: { statuses: MODEL_STATUSES, codes: ['dedicated_endpoint_not_running'] }, ...ENDPOINT_STOPPED },
  { id: 'endpoint-stopped-text', when: { statuses: MODEL_STATUSES, text: ENDPOINT_STOPPED_TEXT }, ...ENDPOINT_STOPPED },
  { id: 'model-not-serverless-text', when: { statuses: MODEL_STATUSES, text: NON_SERVERLESS_TEXT }, ...NOT_SERVERLESS },
  { id: 'model-not-found', when: { statuses: MODEL_STATUSES, codes: ['model_not_found', 'invalid_model'] }, ...UNKNOWN_MODEL },
  { id: 'model-not-found-text', when: { statuses: MODEL_STATUSES, text: MODEL_MISSING_TEXT }, ...UNKNOWN_MODEL },
  // Fine-tuning and batch ids, a fine-tune file, and other 404s.
  {
    id: 'finetune-dataset',
    when: { statuses: [400, 422], text: DATASET_TEXT },
    category: 'validation',
    cause: 'The uploaded file is not a valid dataset for this job.',
    fix: 'Run `tether validate <file>` to list every bad line with its line number, fix them, and upload the file again.',
  },
  {
    id: 'html-not-found',
    when: { statuses: [404, 405], shapes: ['html'] },
    category: 'not_found',
    cause: "The URL answered with an HTML page, so it is not a path of Together's API.",
    fix: `Check that ${BASE_URL_HINT} is right, ends in /v1, and is not a website or proxy address.`,
  },
  {
    id: 'finetune-job-not-found',
    when: { statuses: [404], text: FINETUNE_TEXT },
    category: 'not_found',
    cause: 'No fine-tune job (or fine-tuned model) with that id exists on this account: the id is wrong or expired.',
    fix: "Run `tether finetune list` to see the account's jobs and use one of their ids.",
  },
  {
    id: 'batch-not-found',
    when: { statuses: [404], text: BATCH_TEXT },
    category: 'not_found',
    cause: 'No batch with that id exists on this account: the id is wrong or expired.',
    fix: "List the account's batches (`tether batch list`, or GET /v1/batches) and use one of their ids.",
  },
  { id: 'not-found', when: { statuses: [404, 405, 410] }, category: 'not_found' },
  // Timeouts, overload, server errors.
  {
    id: 'request-timeout',
    when: { statuses: [408] },
    category: 'timeout',
    cause: 'Together gave up waiting for the request to arrive in full (HTTP 408).',
    fix: 'Retry; if it keeps happening, send smaller requests or check for a slow upload link or proxy.',
  },
  { id: 'overloaded', when: { statuses: [503, 529, 524] }, category: 'overloaded' },
  { id: 'gateway-timeout', when: { statuses: [504, 522] }, category: 'timeout' },
  { id: 'server-error', when: { range: [500, 599] }, category: 'server' },
  { id: 'client-error', when: { range: CLIENT_ERRORS }, category: 'validation' },
];

/** Anything no row matched (a 2xx/3xx carrying an error body, a status out of range). */
export const FALLBACK_HTTP_RULE: HttpRule = {
  id: 'unexpected-status',
  when: {},
  category: 'server',
  cause: (f) => `Together answered with an unexpected HTTP status ${f.status ?? '(none)'} for an error.`,
  fix: 'Retry once; if it repeats, run `tether doctor` and report the request id to Together support (https://support.together.ai).',
  retryable: false,
};

export function ruleMatches(rule: HttpRule, facts: { status: number; code?: string | undefined; message: string; shape: BodyShape }): boolean {
  const { statuses, range, codes, text, shapes } = rule.when;
  if (statuses !== undefined && !statuses.includes(facts.status)) return false;
  if (range !== undefined && !(facts.status >= range[0] && facts.status <= range[1])) return false;
  if (codes !== undefined && (facts.code === undefined || !codes.includes(facts.code))) return false;
  if (text !== undefined && !text.test(facts.message)) return false;
  if (shapes !== undefined && !shapes.includes(facts.shape)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Transport failures: no response. Matched by the error's `code` (Node/undici) or `name` (DOMException).

export interface NetworkRule {
  id: string;
  /** Exact `code` values. */
  codes?: readonly string[];
  /** `code` prefixes (`ERR_SSL_`). */
  codePrefixes?: readonly string[];
  /** Exact `name` values (`AbortError`, `TimeoutError`). */
  names?: readonly string[];
  category: ErrorCategory;
  /** What happened, for the error's message; `host` when known. */
  describe: (host: string | undefined) => string;
  cause?: Sentence;
  fix?: Sentence;
  retryable?: boolean;
}

const at = (host: string | undefined): string => (host === undefined ? '' : ` ${host}`);
const TLS_FIX = `If a corporate proxy inspects HTTPS, point NODE_EXTRA_CA_CERTS at its CA bundle (PEM); otherwise check HTTPS_PROXY and that ${BASE_URL_HINT} names the real API host.`;

export const NETWORK_RULES: readonly NetworkRule[] = [
  {
    id: 'aborted-by-caller',
    names: ['AbortError'],
    codes: ['ABORT_ERR', 'UND_ERR_ABORTED'],
    category: 'network',
    describe: () => 'The request was aborted by the caller before Together answered',
    cause: 'Your own code (an AbortSignal, a cancelled request or a closed client) aborted the request; Together did not fail it.',
    fix: 'Nothing to fix on the Together side; if the abort was a deadline, raise it or stream the response so the first tokens arrive sooner.',
    retryable: false,
  },
  {
    id: 'deadline',
    names: ['TimeoutError'],
    codes: ['ERR_TIMEOUT'],
    category: 'timeout',
    describe: () => "The request's deadline (an AbortSignal timeout) passed before Together answered",
    cause: 'The request ran past the time limit set for it, before Together finished answering.',
    fix: 'Retry with backoff; for long generations raise the timeout, stream the response (`stream: true`) or lower max_tokens.',
  },
  {
    id: 'connect-timeout',
    codes: ['UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ERR_TLS_HANDSHAKE_TIMEOUT'],
    category: 'timeout',
    describe: (host) => `Timed out connecting to${at(host) || ' the API'}`,
    cause: (f) => `No connection to ${f.host ?? 'the API'} could be opened in time: a slow or blocked network path.`,
    fix: `Retry with backoff; if it keeps happening check the network, a firewall or HTTPS_PROXY, and ${BASE_URL_HINT}.`,
  },
  {
    id: 'headers-timeout',
    codes: ['UND_ERR_HEADERS_TIMEOUT'],
    category: 'timeout',
    describe: (host) => `Connected to${at(host) || ' the API'}, but no response headers arrived in time`,
    cause: 'Together accepted the request but did not start answering before the client timeout (a busy model or a long prompt).',
    fix: "Retry with backoff; for long generations stream the response (`stream: true`) so headers come at once, or raise the client's headers timeout.",
  },
  {
    id: 'body-timeout',
    codes: ['UND_ERR_BODY_TIMEOUT'],
    category: 'timeout',
    describe: () => 'The response body stalled: no data arrived within the body timeout',
    cause: 'Together started answering, then sent nothing for longer than the client allows.',
    fix: "Retry with backoff; for slow generations raise the client's body timeout or lower max_tokens.",
  },
  {
    id: 'connection-reset',
    codes: ['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED', 'ERR_STREAM_PREMATURE_CLOSE'],
    category: 'network',
    describe: (host) => `The connection${host === undefined ? '' : ` to ${host}`} was closed mid-request`,
    cause: 'The connection was reset or closed before the response was complete: usually a transient network, proxy or load-balancer hiccup.',
    fix: 'Retry with backoff (the request never completed); if it repeats, check any proxy in between (HTTPS_PROXY) or lower your concurrency.',
  },
  {
    id: 'connection-refused',
    codes: ['ECONNREFUSED'],
    category: 'network',
    describe: (host) => `Connection refused by${at(host) || ' the server'}`,
    cause: (f) => `Nothing accepted the connection at ${f.host ?? 'the configured address'}: a wrong base URL or port, or a server that is not running.`,
    fix: `Check ${BASE_URL_HINT} and HTTPS_PROXY point at a reachable server (a local gateway or emulator must be started first); retry once it is up.`,
  },
  {
    id: 'unreachable',
    codes: ['EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN'],
    category: 'network',
    describe: (host) => `No network route to${at(host) || ' the server'}`,
    cause: 'This machine has no network route to the API host: it is offline, or a VPN or firewall is in the way.',
    fix: 'Check the network connection, VPN and HTTPS_PROXY, then retry.',
  },
  {
    id: 'dns',
    codes: ['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA'],
    category: 'network',
    describe: (host) => `DNS lookup failed for${at(host) || ' the API host'}`,
    cause: (f) => `The host name ${f.host ?? 'in the base URL'} could not be resolved: a typo in the URL, no DNS, or a network that needs a proxy.`,
    fix: `Check ${BASE_URL_HINT} for a typo, the machine's DNS, and HTTPS_PROXY if this network reaches the internet through a proxy.`,
    retryable: false,
  },
  {
    id: 'tls-untrusted',
    codes: [
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'UNABLE_TO_GET_ISSUER_CERT',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'CERT_UNTRUSTED',
      'CERT_SIGNATURE_FAILURE',
    ],
    category: 'network',
    describe: (host) => `The TLS certificate of${at(host) || ' the server'} is not trusted`,
    cause: 'The certificate the server presented is not signed by a CA Node trusts: typically a proxy or firewall that inspects HTTPS.',
    fix: TLS_FIX,
    retryable: false,
  },
  {
    id: 'tls-expired',
    codes: ['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED'],
    category: 'network',
    describe: (host) => `The TLS certificate of${at(host) || ' the server'} is expired or not yet valid`,
    cause: "The server's certificate is outside its validity dates (or this machine's clock is wrong).",
    fix: `Check this machine's clock; then, ${TLS_FIX.charAt(0).toLowerCase()}${TLS_FIX.slice(1)}`,
    retryable: false,
  },
  {
    id: 'tls-host-mismatch',
    codes: ['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH'],
    category: 'network',
    describe: (host) => `The TLS certificate does not match the host name${at(host)}`,
    cause: 'The certificate was issued for another host name than the one in the base URL.',
    fix: `Check ${BASE_URL_HINT} names the API's own host (not an IP address or alias), and HTTPS_PROXY; a proxy that inspects HTTPS needs its CA in NODE_EXTRA_CA_CERTS.`,
    retryable: false,
  },
  {
    id: 'tls-protocol',
    codes: ['EPROTO'],
    codePrefixes: ['ERR_SSL_', 'ERR_TLS_', 'CERT_'],
    category: 'network',
    describe: (host) => `The TLS handshake with${at(host) || ' the server'} failed`,
    cause: 'The TLS handshake failed: often an https:// URL pointing at a plain-http server or proxy, or a proxy that breaks TLS.',
    fix: `Check the scheme and port in ${BASE_URL_HINT} (a plain-http local gateway needs http://), HTTPS_PROXY, and NODE_EXTRA_CA_CERTS if a proxy inspects HTTPS.`,
    retryable: false,
  },
];

/** A transport failure no row recognises: do not retry what we do not understand. */
export const FALLBACK_NETWORK_RULE: NetworkRule = {
  id: 'unknown-transport-error',
  category: 'network',
  describe: () => 'The request failed before Together answered',
  cause: 'The request failed before any response arrived, for a reason tether does not recognise.',
  fix: `Run \`tether doctor\` to check the key, ${BASE_URL_HINT}, HTTPS_PROXY and TLS settings, then retry.`,
  retryable: false,
};

export function networkRuleFor(code: string | undefined, name: string | undefined): NetworkRule | undefined {
  return NETWORK_RULES.find(
    (rule) =>
      (code !== undefined && (rule.codes?.includes(code) || rule.codePrefixes?.some((prefix) => code.startsWith(prefix)))) ||
      (name !== undefined && rule.names?.includes(name)),
  );
}

export function renderSentence(sentence: Sentence, facts: RuleFacts): string {
  return typeof sentence === 'string' ? sentence : sentence(facts);
}
