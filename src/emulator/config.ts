// The emulator's configuration: one zod schema for the config file and the programmatic options, and the
// resolution of that input into a complete EmulatorConfig (defaults filled, names given to keys).
import { z } from 'zod';
import { MAX_TIMER_MS } from './http.js';
import type { DynamicLimitSettings } from './dynamic-limits.js';
import { ConfigFileError, describeConfigIssues, readConfigFile } from '../config-file/index.js';

/** The key every emulator accepts when no keys are configured, so `tether emulator` works out of the box. */
export const DEFAULT_EMULATOR_KEY = 'emulator-key';

/**
 * Per-key defaults, also used for configured keys that leave a field out. Modelled on Together's build tier 1
 * (600 RPM ≈ 10 requests/s); Together publishes no tokens-per-minute figure, so 200k is our choice.
 */
export const DEFAULT_KEY_LIMITS = {
  requestsPerSecond: 10,
  tokensPerMinute: 200_000,
  creditsUsd: 5,
  tier: 1,
} as const;

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
/**
 * Uploaded files live in memory, so each is capped: 100 MiB by default (Together's own cap for a Batch API input
 * file is 100 MB; fine-tuning files may be up to 50.1 GB there). A larger upload is read to the end and refused
 * with a 413.
 */
export const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024;
/** Time a fine-tune job spends in each stage (pending, queued, running, compressing, uploading). */
export const DEFAULT_FINE_TUNE_STEP_MS = 200;
/**
 * How long a client may take to send a request's headers, and the whole request: past either, a 408 in Together's
 * envelope and the connection closed (Node's 60 s / 300 s defaults, checked every 30 s, held an idle socket 63 s).
 * An idle keep-alive connection closes after 5 s.
 */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;

const LOG_LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type EmulatorLogLevel = (typeof LOG_LEVELS)[number];

const rate = z.number().min(0).max(1);
/** A wait in ms: Node's timers cannot wait longer than 2^31-1 ms (a 1e12 ms latency fired at once). */
const delayMs = z.number().int().min(0).max(MAX_TIMER_MS, `must be at most ${MAX_TIMER_MS} ms (about 24.8 days); to never answer, use a stall fault`);
const modelFilter = z.string().min(1);
const keyFilter = z.string().min(1);
/** A fault with `path` applies to that exact path (e.g. `/v1/models`); without it, to the inference paths. */
const pathFilter = z.string().startsWith('/');

const statusFault = z.strictObject({
  kind: z.literal('status'),
  status: z.number().int().min(400).max(599),
  rate: rate.optional(),
  model: modelFilter.optional(),
  key: keyFilter.optional(),
  path: pathFilter.optional(),
  /** A string replaces `error.message`; an object is sent as the whole body. */
  body: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
});
const creditsFault = z.strictObject({
  kind: z.literal('credits'),
  afterRequests: z.number().int().min(0),
  key: keyFilter.optional(),
});
const latencyFault = z.strictObject({
  kind: z.literal('latency'),
  ms: delayMs,
  jitterMs: delayMs.optional(),
  /** Delay the answer after the work is done (a creation route's job exists, its answer is late): an ambiguous failure. */
  afterWork: z.boolean().optional(),
  rate: rate.optional(),
  model: modelFilter.optional(),
  key: keyFilter.optional(),
  path: pathFilter.optional(),
});
const resetFault = z.strictObject({
  kind: z.literal('reset'),
  rate: rate.optional(),
  model: modelFilter.optional(),
  key: keyFilter.optional(),
  path: pathFilter.optional(),
});
const streamCutFault = z.strictObject({
  kind: z.literal('stream_cut'),
  afterChunks: z.number().int().min(0),
  rate: rate.optional(),
  model: modelFilter.optional(),
  key: keyFilter.optional(),
});
const slowStreamFault = z.strictObject({
  kind: z.literal('slow_stream'),
  chunkDelayMs: delayMs,
  model: modelFilter.optional(),
  key: keyFilter.optional(),
});
const stallFault = z.strictObject({
  kind: z.literal('stall'),
  afterChunks: z.number().int().min(0).optional(),
  rate: rate.optional(),
  model: modelFilter.optional(),
  key: keyFilter.optional(),
});

/** Fine-tune jobs matching `model` and/or `suffix` (all jobs when both are left out) fail at the end of stage `at`. */
const fineTuneFailureSchema = z.strictObject({
  model: z.string().min(1).optional(),
  suffix: z.string().min(1).optional(),
  /** The stage that fails (default `running`). */
  at: z.enum(['pending', 'queued', 'running', 'compressing', 'uploading']).optional(),
  /** `error` (default) or `user_error` (the Python SDK's extra terminal status; not in the OpenAPI enum). */
  status: z.enum(['error', 'user_error']).optional(),
  message: z.string().min(1).optional(),
});
export type FineTuneFailure = z.infer<typeof fineTuneFailureSchema>;

/** The Batch API's timing, limits and injected failures (src/emulator/batches/store.ts has the defaults). */
const batchesSchema = z.strictObject({
  /** VALIDATING lasts one step; IN_PROGRESS runs `linesPerStep` requests per step (default 100 ms, 1000). */
  stepMs: z.number().int().min(1).optional(),
  linesPerStep: z.number().int().min(1).optional(),
  /** The completion window: a batch not done within it ends EXPIRED, keeping what it finished (default 24 h). */
  windowMs: z.number().int().min(1).optional(),
  /** Most requests in one batch (default 50,000, Together's limit); a larger input file FAILS validation. */
  maxLines: z.number().int().min(1).optional(),
  /** A batch whose model (`model_id`, else the first request's) matches FAILS validation with `message`. */
  failures: z.array(z.strictObject({ model: z.string().min(1).optional(), message: z.string().min(1).optional() })).optional(),
  /**
   * A batch (of `model`, when given) that ends part-way: after `afterLines` requests it ends `status`, with an
   * output file and an error file of what it finished (FAILED carries `message` as the batch error).
   */
  endings: z
    .array(
      z.strictObject({
        model: z.string().min(1).optional(),
        afterLines: z.number().int().min(0),
        status: z.enum(['EXPIRED', 'FAILED', 'CANCELLED']),
        message: z.string().min(1).optional(),
      }),
    )
    .optional(),
  /** Requests that end in the error file with `code`: the ones at 0-based position p where p % every === offset. */
  lineErrors: z
    .array(
      z.strictObject({
        every: z.number().int().min(1),
        offset: z.number().int().min(0).optional(),
        code: z.string().min(1),
        message: z.string().min(1).optional(),
      }),
    )
    .optional(),
});
export type BatchesConfig = z.infer<typeof batchesSchema>;

export const faultSpecSchema = z.discriminatedUnion('kind', [
  statusFault,
  creditsFault,
  latencyFault,
  resetFault,
  streamCutFault,
  slowStreamFault,
  stallFault,
]);

/** One injected fault. `rate` (0..1, default 1) is drawn from a PRNG seeded by the emulator seed. */
export type FaultSpec = z.infer<typeof faultSpecSchema>;
export type FaultKind = FaultSpec['kind'];

const keySchema = z.strictObject({
  key: z.string().min(1),
  name: z.string().min(1).optional(),
  requestsPerSecond: z.number().int().positive().optional(),
  tokensPerMinute: z.number().int().positive().optional(),
  creditsUsd: z.number().min(0).optional(),
  /** Build tier 0 (free) to 5; models in the snapshot's `tier_gated` list need at least their `min_tier`. */
  tier: z.number().int().min(0).max(5).optional(),
  /** `dynamic` (default: Together's limits since 2026-01) or `fixed` (the older build-tier limits): which 429 body. */
  rateLimits: z.enum(['dynamic', 'fixed']).optional(),
  /**
   * Together's dynamic limit per model for this key (facts §4.2): about twice the recent successful rate, between a
   * base and a cap; above it, 429 dynamic_request_limited / dynamic_token_limited. `true` for the defaults.
   * Left out: only the key's requestsPerSecond / tokensPerMinute apply, as before.
   */
  dynamic: z
    .union([
      z.literal(true),
      z.strictObject({
        /** Default 60 (Together's base_rate). */
        baseRpm: z.number().positive().max(1e7).optional(),
        /** Default: the key's requestsPerSecond × 60. */
        capRpm: z.number().positive().max(1e7).optional(),
        /** Default: capTpm (no dynamic token limit below the cap). */
        baseTpm: z.number().positive().max(1e10).optional(),
        /** Default: the key's tokensPerMinute. */
        capTpm: z.number().positive().max(1e10).optional(),
        /** The trailing period whose successful rate sets the limit; default 3,600,000 (an hour, as Together). */
        historyMs: z.number().int().min(1000).max(7 * 24 * 3_600_000).optional(),
      }),
    ])
    .optional(),
});
export type EmulatorKeyInput = z.infer<typeof keySchema>;

const extraModelSchema = z.strictObject({
  id: z.string().min(1),
  type: z.enum(['chat', 'language', 'code', 'image', 'embedding', 'moderation', 'rerank', 'audio']).optional(),
  display_name: z.string().optional(),
  organization: z.string().optional(),
  context_length: z.number().int().min(0).optional(),
  pricing: z.strictObject({ input: z.number().min(0), output: z.number().min(0) }).optional(),
  serverless: z.boolean().optional(),
  /** Embedding models only: the vector length. */
  dimensions: z.number().int().positive().optional(),
  /** Minimum build tier for this model. */
  min_tier: z.number().int().min(0).max(5).optional(),
});
export type EmulatorExtraModel = z.infer<typeof extraModelSchema>;

/** Platform capacity of one model (or of every model without an entry of its own: `*`), shared by all keys. */
const capacitySchema = z.strictObject({
  model: z.string().min(1).max(256),
  /** Requests a second the model serves across every key; past it, 503 even for a key under its own rate. */
  requestsPerSecond: z.number().min(0).max(1e7).optional(),
  /** Requests the model serves at once across every key (a stream holds its place until it ends). */
  concurrent: z.number().int().min(0).max(1e7).optional(),
});
export type ModelCapacityInput = z.infer<typeof capacitySchema>;

/** Most capacity entries: one per model is plenty. */
export const MAX_CAPACITY_ENTRIES = 1000;

export const emulatorFileSchema = z.strictObject({
  seed: z.number().int().optional(),
  port: z.number().int().min(0).max(65535).optional(),
  host: z.string().min(1).optional(),
  keys: z.array(keySchema).optional(),
  faults: z.array(faultSpecSchema).optional(),
  /** Platform capacity per model (default: unlimited); a scenario can change it over time. */
  capacity: z.array(capacitySchema).max(MAX_CAPACITY_ENTRIES).optional(),
  models: z
    .strictObject({
      extra: z.array(extraModelSchema).optional(),
      exclude: z.array(z.string().min(1)).optional(),
    })
    .optional(),
  /** Added to every inference response before it is sent. */
  latencyMs: delayMs.optional(),
  /**
   * Derive each response's `id` and `created` from the request (seed, path, body) instead of a running sequence and
   * the clock, so the same request always gets the same response bytes: for tests that compare whole outputs
   * (an interrupted and resumed batch against an uninterrupted one). `x-request-id` stays unique per request.
   */
  reproducible: z.boolean().optional(),
  maxBodyBytes: z.number().int().positive().optional(),
  /** Largest file `/v1/files` accepts (default 100 MiB); files are kept in memory. */
  maxFileBytes: z.number().int().positive().optional(),
  /** Time to receive a request's headers (default 10 s) and the whole request (default 60 s); idle keep-alive (5 s). */
  headersTimeoutMs: z.number().int().min(1).max(MAX_TIMER_MS).optional(),
  requestTimeoutMs: z.number().int().min(1).max(MAX_TIMER_MS).optional(),
  keepAliveTimeoutMs: z.number().int().min(1).max(MAX_TIMER_MS).optional(),
  /** How long a fine-tune file's server-side check reports `processing_status: RUNNING` (default 0). */
  fileProcessingMs: z.number().int().min(0).optional(),
  /** Time per fine-tune stage (default 200 ms): pending → queued → running → compressing → uploading → completed. */
  fineTuneStepMs: z.number().int().min(1).optional(),
  fineTuneFailures: z.array(fineTuneFailureSchema).optional(),
  batches: batchesSchema.optional(),
  logLevel: z.enum(LOG_LEVELS).optional(),
});

/** The config file's shape; `startEmulator` takes the same fields. */
export type EmulatorFileConfig = z.infer<typeof emulatorFileSchema>;

/** Options for `startEmulator`: the config file's fields (port defaults to 0 = a free port, host to 127.0.0.1). */
export type EmulatorOptions = EmulatorFileConfig;

export interface EmulatorKey {
  key: string;
  /** How stats and logs name this key (never the key itself): the configured name, `key-N`, or `default`. */
  name: string;
  requestsPerSecond: number;
  tokensPerMinute: number;
  creditsUsd: number;
  tier: number;
  /** Which 429 body the key's limits answer with (default dynamic). */
  rateLimits?: 'dynamic' | 'fixed';
  /** The per-model dynamic limit, when configured (see the config's `keys[].dynamic`). */
  dynamic?: DynamicLimitSettings;
}

/** Everything resolved: what the running emulator uses. */
export interface EmulatorConfig {
  seed: number;
  port: number;
  host: string;
  keys: EmulatorKey[];
  faults: FaultSpec[];
  capacity: ModelCapacityInput[];
  models: { extra: EmulatorExtraModel[]; exclude: string[] };
  latencyMs: number;
  reproducible: boolean;
  maxBodyBytes: number;
  maxFileBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  fileProcessingMs: number;
  fineTuneStepMs: number;
  fineTuneFailures: FineTuneFailure[];
  batches: BatchesConfig;
  logLevel: EmulatorLogLevel;
}

/** A config file or options object that does not validate; the message names the bad field. */
export class EmulatorConfigError extends Error {
  override readonly name = 'EmulatorConfigError';
}

/** `keys[0].requestsPerSecond` style path for an issue. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(top level)';
}

/** Names each bad field without quoting a secret-shaped field name or any value (see config-file). */
const describeIssues = describeConfigIssues;

/** Validate options or a parsed config file; `source` names where they came from in the error. */
export function parseEmulatorConfig(input: unknown, source = 'emulator options'): EmulatorFileConfig {
  const result = emulatorFileSchema.safeParse(input ?? {});
  if (!result.success) {
    throw new EmulatorConfigError(`${source} is invalid: ${describeIssues(result.error.issues)}`);
  }
  return result.data;
}

/** Read and validate a JSON or YAML config file. */
export function loadEmulatorConfigFile(path: string): EmulatorFileConfig {
  let data: unknown;
  try {
    data = readConfigFile(path, 'emulator config').data;
  } catch (error) {
    throw error instanceof ConfigFileError ? new EmulatorConfigError(error.message) : error;
  }
  return parseEmulatorConfig(data, `emulator config ${path}`);
}

function resolveKeys(keys: readonly EmulatorKeyInput[] | undefined): EmulatorKey[] {
  if (!keys || keys.length === 0) {
    return [{ key: DEFAULT_EMULATOR_KEY, name: 'default', ...DEFAULT_KEY_LIMITS }];
  }
  const seen = new Set<string>();
  return keys.map((k, index) => {
    if (seen.has(k.key)) throw new EmulatorConfigError(`\`keys[${index}].key\`: the same key appears twice`);
    seen.add(k.key);
    return {
      key: k.key,
      name: k.name ?? `key-${index + 1}`,
      requestsPerSecond: k.requestsPerSecond ?? DEFAULT_KEY_LIMITS.requestsPerSecond,
      tokensPerMinute: k.tokensPerMinute ?? DEFAULT_KEY_LIMITS.tokensPerMinute,
      creditsUsd: k.creditsUsd ?? DEFAULT_KEY_LIMITS.creditsUsd,
      tier: k.tier ?? DEFAULT_KEY_LIMITS.tier,
      ...(k.rateLimits ? { rateLimits: k.rateLimits } : {}),
      ...(k.dynamic ? { dynamic: resolveDynamic(k, index) } : {}),
    };
  });
}

/** Together's default base_rate: 60 requests a minute (facts §4.2). */
export const DEFAULT_DYNAMIC_BASE_RPM = 60;
/** Together measures the successful rate over the past hour. */
export const DEFAULT_DYNAMIC_HISTORY_MS = 3_600_000;

function resolveDynamic(k: EmulatorKeyInput, index: number): DynamicLimitSettings {
  const given = k.dynamic === true || k.dynamic === undefined ? {} : k.dynamic;
  const capRpm = given.capRpm ?? (k.requestsPerSecond ?? DEFAULT_KEY_LIMITS.requestsPerSecond) * 60;
  const baseRpm = given.baseRpm ?? Math.min(DEFAULT_DYNAMIC_BASE_RPM, capRpm);
  const capTpm = given.capTpm ?? k.tokensPerMinute ?? DEFAULT_KEY_LIMITS.tokensPerMinute;
  const baseTpm = given.baseTpm ?? capTpm;
  if (k.rateLimits === 'fixed') throw new EmulatorConfigError(`\`keys[${index}].dynamic\`: a key on fixed (build-tier) limits has no dynamic limit; remove \`dynamic\` or \`rateLimits: fixed\``);
  if (baseRpm > capRpm) throw new EmulatorConfigError(`\`keys[${index}].dynamic\`: baseRpm (${baseRpm}) is above capRpm (${capRpm}); the base must not exceed the cap`);
  if (baseTpm > capTpm) throw new EmulatorConfigError(`\`keys[${index}].dynamic\`: baseTpm (${baseTpm}) is above capTpm (${capTpm}); the base must not exceed the cap`);
  return { baseRpm, capRpm, baseTpm, capTpm, historyMs: given.historyMs ?? DEFAULT_DYNAMIC_HISTORY_MS };
}

/** Fill every default. Throws EmulatorConfigError naming the bad field. */
export function resolveEmulatorConfig(options: unknown = {}): EmulatorConfig {
  const input = parseEmulatorConfig(options);
  return {
    seed: input.seed ?? 42,
    port: input.port ?? 0,
    host: input.host ?? '127.0.0.1',
    keys: resolveKeys(input.keys),
    faults: input.faults ?? [],
    capacity: input.capacity ?? [],
    models: { extra: input.models?.extra ?? [], exclude: input.models?.exclude ?? [] },
    latencyMs: input.latencyMs ?? 0,
    reproducible: input.reproducible ?? false,
    maxBodyBytes: input.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxFileBytes: input.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    headersTimeoutMs: input.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: input.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: input.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    fileProcessingMs: input.fileProcessingMs ?? 0,
    fineTuneStepMs: input.fineTuneStepMs ?? DEFAULT_FINE_TUNE_STEP_MS,
    fineTuneFailures: input.fineTuneFailures ?? [],
    batches: input.batches ?? {},
    logLevel: input.logLevel ?? 'silent',
  };
}

/** Validate one fault. */
export function parseFault(input: unknown, source = 'fault'): FaultSpec {
  const result = faultSpecSchema.safeParse(input);
  if (!result.success) throw new EmulatorConfigError(`${source} is invalid: ${describeIssues(result.error.issues)}`);
  return result.data;
}

/** Validate a list of faults given at run time (setFaults, the admin endpoint). */
export function parseFaults(input: unknown, source = 'faults'): FaultSpec[] {
  const result = z.array(faultSpecSchema).safeParse(input);
  if (!result.success) throw new EmulatorConfigError(`${source} are invalid: ${describeIssues(result.error.issues)}`);
  return result.data;
}
