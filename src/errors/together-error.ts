/** What kind of failure a TogetherError is; every retry, fallback and message decision keys off this. */
export type ErrorCategory =
  | 'auth'
  | 'billing'
  | 'rate_limit'
  | 'validation'
  | 'context_length'
  | 'not_found'
  | 'overloaded'
  | 'server'
  | 'timeout'
  | 'network';

export const ERROR_CATEGORIES: readonly ErrorCategory[] = [
  'auth',
  'billing',
  'rate_limit',
  'validation',
  'context_length',
  'not_found',
  'overloaded',
  'server',
  'timeout',
  'network',
];

export interface TogetherErrorFields {
  /** HTTP status; undefined for failures with no response (network, timeout before headers). */
  status?: number | undefined;
  /** Together's own code where the body has one (`invalid_api_key`, `credit_limit`, …), else undefined. */
  code?: string | undefined;
  /** Together's `error.type` where present (`invalid_request_error`, `credit_limit`, …). */
  type?: string | undefined;
  /** Together's `error.param` where present. */
  param?: string | undefined;
  category: ErrorCategory;
  /** Together's inner message (never the whole JSON body), or ours for non-HTTP failures. */
  message: string;
  /** One sentence for a person: why this happened. */
  cause: string;
  /** One sentence for a person: the concrete next step. */
  fix: string;
  retryable: boolean;
  /** How long the server asked us to wait, in ms, if it said. */
  retryAfterMs?: number | undefined;
  /** x-request-id, cf-ray or x-together-traceid. */
  requestId?: string | undefined;
  /** Model the failing request named, when known. */
  model?: string | undefined;
  /** Numbers or ids parsed out of the failure, e.g. `{ limit, promptTokens, maxTokens }` for a context-length error. */
  details?: Record<string, number | string> | undefined;
  /** The underlying error (socket error, parse error…), kept for debugging. */
  original?: unknown;
  /**
   * The error body exactly as the server wrote it (every known secret scrubbed), when it was text of at most
   * {@link MAX_UPSTREAM_BODY_CHARS} characters: what a proxy (the gateway) forwards unchanged. Not in `toJSON()`.
   */
  upstreamBody?: string | undefined;
}

/** The longest upstream error body a TogetherError keeps verbatim (Together's are well under 1 KiB). */
export const MAX_UPSTREAM_BODY_CHARS = 64 * 1024;

/** The one error type tether surfaces: classified, with a cause and a fix a person can act on. */
export class TogetherError extends Error implements TogetherErrorFields {
  override readonly name = 'TogetherError';
  readonly status?: number | undefined;
  readonly code?: string | undefined;
  readonly type?: string | undefined;
  readonly param?: string | undefined;
  readonly category: ErrorCategory;
  override readonly cause: string;
  readonly fix: string;
  readonly retryable: boolean;
  readonly retryAfterMs?: number | undefined;
  readonly requestId?: string | undefined;
  readonly model?: string | undefined;
  readonly details?: Record<string, number | string> | undefined;
  readonly original?: unknown;
  readonly upstreamBody?: string | undefined;

  constructor(fields: TogetherErrorFields) {
    super(fields.message);
    this.status = fields.status;
    this.code = fields.code;
    this.type = fields.type;
    this.param = fields.param;
    this.category = fields.category;
    this.cause = fields.cause;
    this.fix = fields.fix;
    this.retryable = fields.retryable;
    this.retryAfterMs = fields.retryAfterMs;
    this.requestId = fields.requestId;
    this.model = fields.model;
    this.details = fields.details;
    this.original = fields.original;
    if (fields.upstreamBody !== undefined) this.upstreamBody = fields.upstreamBody;
  }

  /** Plain object for `--json` output, logs and debug bundles (no stack, no original error object). */
  toJSON(): Omit<TogetherErrorFields, 'original'> & { name: string } {
    return {
      name: this.name,
      status: this.status,
      code: this.code,
      type: this.type,
      param: this.param,
      category: this.category,
      message: this.message,
      cause: this.cause,
      fix: this.fix,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      requestId: this.requestId,
      model: this.model,
      details: this.details,
    };
  }
}

export function isTogetherError(value: unknown): value is TogetherError {
  return value instanceof TogetherError;
}
