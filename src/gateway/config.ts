// The gateway's configuration: one zod schema for the config file (JSON or YAML) and for createGateway's input,
// and its resolution into a complete GatewayConfig (defaults filled, env keys read, aliases applied to routes).
// Every error names the bad field (`clients[1].token`) and never repeats a secret's value.
import { z } from 'zod';
import { parseBaseUrl, resolveBaseUrl } from '../api/index.js';
import { ConfigFileError, describeConfigIssues, readConfigFile } from '../config-file/index.js';
import { API_KEY_ENV, findApiKey } from '../errors/index.js';
import type { KeySource } from '../errors/index.js';
import { DEFAULT_OVERLOAD } from './overload.js';
import type { OverloadSettings } from './overload.js';

export const DEFAULT_GATEWAY_PORT = 8787;
export const DEFAULT_GATEWAY_HOST = '127.0.0.1';

export const DEFAULT_LIMITS = {
  /** 10 MiB: room for long prompts and base64 images, not for a memory attack. */
  maxBodyBytes: 10 * 1024 * 1024,
  /** A client that has not sent its headers by then is cut off (slowloris). */
  headersTimeoutMs: 10_000,
  /** The whole request (headers and body) must arrive within this; responses (long streams) are not limited. */
  requestTimeoutMs: 60_000,
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: 5_000,
} as const;

/**
 * Production defaults for how long a request may hold the gateway (issue 15: with the pipeline's own defaults, an
 * upstream that accepts a request and never answers held it 10 minutes per attempt, retries on top, with no deadline).
 */
export const DEFAULT_TIMEOUTS = {
  /**
   * The longest a client waits for its answer to start: a JSON answer whole, or a stream's first chunk, retries and
   * pacing waits included. Past it the client gets a 504 and the upstream request is cancelled. Two minutes covers a
   * long non-streamed completion (~6,000 tokens at 50 tokens/s); a stream starts within seconds.
   */
  firstByteTimeoutMs: 120_000,
  /**
   * The whole request, a streamed answer included (the pipeline's `deadlineMs`, which has no default of its own). Long
   * streams keep flowing under it; one that is still going after 15 minutes ends with a timeout error event.
   */
  deadlineMs: 900_000,
} as const;

const LOG_LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type GatewayLogLevel = (typeof LOG_LEVELS)[number];

const name = z.string().min(1);
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
const positiveMs = z.number().int().positive();

const upstreamKeySchema = z.strictObject({
  name,
  /** The key itself, or `apiKeyEnv`: the environment variable holding it. */
  apiKey: z.string().min(1).optional(),
  apiKeyEnv: envName.optional(),
});

const upstreamSchema = z.strictObject({
  /** Default: TOGETHER_BASE_URL, else https://api.together.ai/v1. */
  baseUrl: z.string().min(1).optional(),
  /** The default upstream key; default: TOGETHER_API_KEY. */
  apiKey: z.string().min(1).optional(),
  apiKeyEnv: envName.optional(),
  /** More keys, by name, for clients that should spend their own budget (`clients[].upstreamKey`). */
  keys: z.array(upstreamKeySchema).optional(),
  /** The most bytes of an upstream answer read whole (default 64 MiB); past it the client gets a 502. */
  maxResponseBytes: z.number().int().min(1024).optional(),
  /** The longest one streamed event from upstream may grow (default 1 MiB); past it the client gets a 502. */
  maxStreamEventBytes: z.number().int().min(1024).optional(),
});

const clientSchema = z.strictObject({
  /** How logs and metrics name this client (never by its token). Default `client-N`. */
  name: name.optional(),
  token: z.string().min(8, 'must be at least 8 characters').optional(),
  tokenEnv: envName.optional(),
  requestsPerSecond: z.number().positive().optional(),
  requestsPerMinute: z.number().int().positive().optional(),
  /** Name of an `upstream.keys` entry this client's requests are sent with; default the default key. */
  upstreamKey: name.optional(),
  /** At most `usd` of spend per UTC day, per UTC month, or in total (docs/spend.md, "Budgets"). */
  budget: z.strictObject({ usd: z.number().positive().finite(), per: z.enum(['day', 'month', 'total']) }).optional(),
});

const pacingSchema = z.strictObject({
  requestsPerSecond: z.number().positive().optional(),
  tokensPerMinute: z.number().int().positive().optional(),
  learnFromHeaders: z.boolean().optional(),
  initialRequestsPerSecond: z.number().positive().optional(),
  safetyFactor: z.number().gt(0).max(1).optional(),
});

const retriesSchema = z.strictObject({
  maxAttempts: z.number().int().min(1).max(20).optional(),
  baseDelayMs: z.number().int().min(0).optional(),
  factor: z.number().min(1).optional(),
  maxDelayMs: z.number().int().min(0).optional(),
  maxRetryAfterMs: z.number().int().min(0).optional(),
});

const preflightSchema = z.strictObject({
  onContextOverflow: z.enum(['error', 'clamp', 'fallback', 'truncate']).optional(),
  allowSuccessor: z.boolean().optional(),
});

const breakerSchema = z.strictObject({
  threshold: z.number().int().min(1).optional(),
  coolDownMs: positiveMs.optional(),
});

/** Retries per key × model limited to a share of recent requests (policy/retry-budget.ts); `false` turns it off. */
const retryBudgetSchema = z.union([
  z.literal(false),
  z.strictObject({
    ratio: z.number().min(0).max(1).optional(),
    minRetriesPerSecond: z.number().min(0).optional(),
    windowMs: z.number().int().min(100).optional(),
  }),
]);

/** Adaptive throttling per model fed by 503s (policy/throttle.ts); `false` turns it off. */
const throttleSchema = z.union([z.literal(false), z.strictObject({ k: z.number().min(1).optional(), windowMs: z.number().int().min(100).optional(), minRequests: z.number().int().min(0).optional() })]);

const timeoutsSchema = z.strictObject({
  /** Default 900 s (DEFAULT_TIMEOUTS). */
  deadlineMs: positiveMs.optional(),
  /** Enforced by the gateway itself; default 120 s (DEFAULT_TIMEOUTS). */
  firstByteTimeoutMs: positiveMs.optional(),
  attemptTimeoutMs: positiveMs.optional(),
  idleTimeoutMs: positiveMs.optional(),
});

const policiesSchema = z.strictObject({
  /** `false` turns pacing off. */
  pacing: z.union([z.literal(false), pacingSchema]).optional(),
  retries: retriesSchema.optional(),
  preflight: preflightSchema.optional(),
  breaker: breakerSchema.optional(),
  retryBudget: retryBudgetSchema.optional(),
  throttle: throttleSchema.optional(),
  /** A key stopped by a 402 is probed every `intervalMs` (default 60 s; false: never) and resumes by itself. */
  billingProbe: z.strictObject({ intervalMs: z.union([z.literal(false), positiveMs]).optional(), model: z.string().min(1).max(256).optional() }).optional(),
  timeouts: timeoutsSchema.optional(),
});

const limitsSchema = z.strictObject({
  maxBodyBytes: z.number().int().min(1024).optional(),
  headersTimeoutMs: positiveMs.optional(),
  requestTimeoutMs: positiveMs.optional(),
  keepAliveTimeoutMs: positiveMs.optional(),
});

/** Thresholds past which new requests are shed with a 503 (see overload.ts); `overload: false` turns shedding off. */
const overloadSchema = z.strictObject({
  maxEventLoopDelayMs: positiveMs.optional(),
  maxHeapUsedRatio: z.number().gt(0).max(1).optional(),
  maxInFlight: z.number().int().positive().optional(),
  sampleIntervalMs: z.number().int().min(10).max(10_000).optional(),
  retryAfterMs: positiveMs.optional(),
});

/**
 * OpenTelemetry tracing of every request (tracing/index.ts): `true` exports with the standard OTEL_* variables'
 * endpoint, an object names the endpoint and service; `false` keeps it off whatever the environment says. Unset:
 * on exactly when the OTEL_* variables say so.
 */
const tracingSchema = z.union([
  z.boolean(),
  z.strictObject({
    /** OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces (default: the OTEL_* variables'). */
    endpoint: z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL (the OTLP/HTTP traces endpoint)').optional(),
    /** The spans' service.name (default OTEL_SERVICE_NAME, else "tether"). */
    serviceName: z.string().min(1).max(256).optional(),
  }),
], { error: 'must be true, false, or { endpoint?, serviceName? }' });
export type GatewayTracing = z.infer<typeof tracingSchema>;

export const gatewayFileSchema = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  /** The built-in emulator, started as upstream when no Together key is configured. `port` 0 = any free port. */
  emulator: z.strictObject({ port: z.number().int().min(0).max(65535).optional() }).optional(),
  upstream: upstreamSchema.optional(),
  /** Client-facing model name → Together model id. */
  aliases: z.record(z.string().min(1), z.string().min(1)).optional(),
  /** Model (or alias) → ordered fallback models tried after it. */
  routes: z.record(z.string().min(1), z.array(z.string().min(1)).min(1)).optional(),
  policies: policiesSchema.optional(),
  /** Client tokens for the gateway's own auth. Without any, only a loopback address may be bound. */
  clients: z.array(clientSchema).optional(),
  /**
   * With `clients: []`, says on purpose that this config serves without client tokens. A reload never switches auth
   * off without both: a config that merely lacks `clients` (a truncated file, a bad merge) is refused.
   */
  allowAnonymous: z.boolean().optional(),
  limits: limitsSchema.optional(),
  overload: z.union([z.literal(false), overloadSchema]).optional(),
  /**
   * The bearer token of the gateway's admin endpoints (`POST /admin/keys/resume`), distinct from every client token.
   * Without it the admin endpoints answer 404.
   */
  adminToken: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Share pacing budgets and circuit-breaker state between gateways through this Redis (`redis://host:6379`). */
  redis: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  logLevel: z.enum(LOG_LEVELS).optional(),
  tracing: tracingSchema.optional(),
});

/** The config file's shape; `createGateway` and `reload` take the same fields. */
export type GatewayFileConfig = z.infer<typeof gatewayFileSchema>;
export type GatewayPolicies = z.infer<typeof policiesSchema>;

/** A config that does not validate: the message names the bad field and what it must be. */
export class GatewayConfigError extends Error {
  override readonly name = 'GatewayConfigError';
}

export interface ResolvedClient {
  name: string;
  token: string;
  requestsPerSecond?: number | undefined;
  requestsPerMinute?: number | undefined;
  /** The upstream key this client's requests use; undefined: the default key. */
  upstreamKey?: string | undefined;
  /** The client's spend budget; undefined: none. */
  budget?: { usd: number; per: 'day' | 'month' | 'total' } | undefined;
}

/** Where the default upstream key came from, for the first line and error messages (never the key). */
/** Where the upstream key came from ('config' or 'env'; undefined: no key): errors/'s one KeySource. */
export type { KeySource };

export interface GatewayConfig {
  host: string;
  port: number;
  upstream: {
    baseUrl: string;
    /** The default upstream key; undefined when none is configured (the caller decides: emulator or error). */
    apiKey?: string | undefined;
    keySource: KeySource | undefined;
    /** Where the key came from, e.g. `TOGETHER_API_KEY` or `upstream.apiKey`. */
    keyOrigin: string;
    /** The keys of `upstream.keys`: scrubbed, in every form, from everything the gateway lets out. */
    otherKeys: readonly string[];
    /** Bounds on what upstream sends (undefined: the pipeline's defaults, 64 MiB and 1 MiB). */
    maxResponseBytes?: number | undefined;
    maxStreamEventBytes?: number | undefined;
  };
  aliases: ReadonlyMap<string, string>;
  /** Together id → its fallbacks (aliases already resolved on both sides). */
  routes: ReadonlyMap<string, readonly string[]>;
  policies: GatewayPolicies;
  clients: readonly ResolvedClient[];
  /** Load shedding thresholds, or false when shedding is off. */
  overload: OverloadSettings | false;
  /** How long a client waits for its answer to start (see DEFAULT_TIMEOUTS). */
  firstByteTimeoutMs: number;
  /** `clients: []` with `allowAnonymous: true`: this config turns client auth off on purpose. */
  anonymousOptIn: boolean;
  limits: { maxBodyBytes: number; headersTimeoutMs: number; requestTimeoutMs: number; keepAliveTimeoutMs: number };
  redis?: string | undefined;
  /** The admin endpoints' token (config `adminToken`); undefined: they are off. */
  adminToken?: string | undefined;
  logLevel: GatewayLogLevel;
  /** Config `tracing`; undefined: as the OTEL_* environment variables say. */
  tracing?: GatewayTracing | undefined;
}

/** Validate a parsed config file or options object; `source` names where it came from in the error. */
export function parseGatewayConfig(input: unknown, source = 'gateway config'): GatewayFileConfig {
  const result = gatewayFileSchema.safeParse(input ?? {});
  if (!result.success) throw new GatewayConfigError(`${source} is invalid: ${describeConfigIssues(result.error.issues)}`);
  return result.data;
}

/** Read and validate a JSON or YAML config file (`.json` is JSON, anything else YAML, which also reads JSON). */
export function loadGatewayConfigFile(path: string): GatewayFileConfig {
  let data: unknown;
  try {
    data = readConfigFile(path, 'gateway config').data;
  } catch (error) {
    throw error instanceof ConfigFileError ? new GatewayConfigError(error.message) : error;
  }
  return parseGatewayConfig(data, `gateway config ${path}`);
}

/** A secret given inline or by environment variable name; `where` names the field in errors. */
function readSecret(inline: string | undefined, envVar: string | undefined, where: string, env: NodeJS.ProcessEnv): string | undefined {
  if (inline !== undefined && envVar !== undefined) {
    throw new GatewayConfigError(`\`${where}\`: give the value or its environment variable (\`…Env\`), not both`);
  }
  if (envVar === undefined) return inline;
  const value = env[envVar]?.trim();
  if (!value) throw new GatewayConfigError(`\`${where}Env\`: environment variable ${envVar} is not set or empty`);
  return value;
}

function resolveUpstreamKeys(file: GatewayFileConfig, env: NodeJS.ProcessEnv): Map<string, string> {
  const keys = new Map<string, string>();
  (file.upstream?.keys ?? []).forEach((entry, index) => {
    const where = `upstream.keys[${index}]`;
    if (keys.has(entry.name)) throw new GatewayConfigError(`\`${where}.name\`: an earlier entry of \`upstream.keys\` has the same name`);
    const key = readSecret(entry.apiKey, entry.apiKeyEnv, `${where}.apiKey`, env);
    if (key === undefined) throw new GatewayConfigError(`\`${where}\`: give \`apiKey\` or \`apiKeyEnv\``);
    keys.set(entry.name, key);
  });
  return keys;
}

function resolveClients(file: GatewayFileConfig, upstreamKeys: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv): ResolvedClient[] {
  const seenTokens = new Set<string>();
  const seenNames = new Set<string>();
  return (file.clients ?? []).map((client, index) => {
    const where = `clients[${index}]`;
    const token = readSecret(client.token, client.tokenEnv, `${where}.token`, env);
    if (token === undefined) throw new GatewayConfigError(`\`${where}\`: give \`token\` or \`tokenEnv\``);
    if (seenTokens.has(token)) throw new GatewayConfigError(`\`${where}.token\`: the same token is given to another client`);
    seenTokens.add(token);
    const clientName = client.name ?? `client-${index + 1}`;
    if (seenNames.has(clientName)) throw new GatewayConfigError(`\`${where}.name\`: an earlier client has the same name`);
    seenNames.add(clientName);
    let upstreamKey: string | undefined;
    if (client.upstreamKey !== undefined) {
      upstreamKey = upstreamKeys.get(client.upstreamKey);
      if (upstreamKey === undefined) {
        const hint = upstreamKeys.size > 0 ? `the \`name\` of one of the ${upstreamKeys.size} entries of \`upstream.keys\`` : 'a name declared under `upstream.keys` (there are none)';
        throw new GatewayConfigError(`\`${where}.upstreamKey\`: no entry of \`upstream.keys\` has this name; use ${hint}`);
      }
    }
    return { name: clientName, token, requestsPerSecond: client.requestsPerSecond, requestsPerMinute: client.requestsPerMinute, upstreamKey, ...(client.budget !== undefined ? { budget: client.budget } : {}) };
  });
}

function resolveRoutes(file: GatewayFileConfig, aliases: ReadonlyMap<string, string>): Map<string, readonly string[]> {
  const routes = new Map<string, readonly string[]>();
  Object.entries(file.routes ?? {}).forEach(([model, fallbacks], index) => {
    const id = aliases.get(model) ?? model;
    if (routes.has(id)) {
      throw new GatewayConfigError(`\`routes\` (entry ${index + 1}): an earlier route names the same model (an alias and its id name the same model)`);
    }
    routes.set(
      id,
      fallbacks.map((m) => aliases.get(m) ?? m),
    );
  });
  return routes;
}

function checkLimits(limits: GatewayConfig['limits']): void {
  // node:http refuses a header timeout longer than the whole-request timeout.
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new GatewayConfigError(
      `\`limits.headersTimeoutMs\` (${limits.headersTimeoutMs}) must not exceed \`limits.requestTimeoutMs\` (${limits.requestTimeoutMs})`,
    );
  }
}

function checkAnonymousOptIn(file: GatewayFileConfig): boolean {
  if (file.allowAnonymous !== true) return false;
  if (file.clients === undefined || file.clients.length > 0) {
    throw new GatewayConfigError('`allowAnonymous`: true only goes with `clients: []` (no client tokens); remove one of the two');
  }
  return true;
}

/** Fill every default and read keys from the environment. Throws GatewayConfigError naming the bad field. */
export function resolveGatewayConfig(input: unknown, env: NodeJS.ProcessEnv = process.env, source?: string): GatewayConfig {
  const file = parseGatewayConfig(input, source);
  const upstreamKeys = resolveUpstreamKeys(file, env);
  const configured = readSecret(file.upstream?.apiKey, file.upstream?.apiKeyEnv, 'upstream.apiKey', env);
  const found = findApiKey(configured, 'config', env);
  const apiKey = found?.apiKey;
  const keySource = found?.source;
  const keyOrigin =
    keySource === 'config' ? (file.upstream?.apiKeyEnv ?? 'upstream.apiKey') : keySource === 'env' ? API_KEY_ENV : 'nowhere';

  const baseUrl = resolveBaseUrl(file.upstream?.baseUrl, env);
  try {
    parseBaseUrl(baseUrl);
  } catch (error) {
    const field = file.upstream?.baseUrl !== undefined ? '`upstream.baseUrl`' : 'TOGETHER_BASE_URL';
    throw new GatewayConfigError(`${field}: ${(error as Error).message}`);
  }

  const aliases = new Map(Object.entries(file.aliases ?? {}));
  const limits = { ...DEFAULT_LIMITS, ...file.limits };
  checkLimits(limits);
  return {
    host: file.host ?? DEFAULT_GATEWAY_HOST,
    port: file.port ?? DEFAULT_GATEWAY_PORT,
    upstream: {
      baseUrl,
      apiKey,
      keySource,
      keyOrigin,
      otherKeys: [...upstreamKeys.values()],
      maxResponseBytes: file.upstream?.maxResponseBytes,
      maxStreamEventBytes: file.upstream?.maxStreamEventBytes,
    },
    aliases,
    routes: resolveRoutes(file, aliases),
    policies: file.policies ?? {},
    clients: resolveClients(file, upstreamKeys, env),
    anonymousOptIn: checkAnonymousOptIn(file),
    firstByteTimeoutMs: file.policies?.timeouts?.firstByteTimeoutMs ?? DEFAULT_TIMEOUTS.firstByteTimeoutMs,
    overload: file.overload === false ? false : { ...DEFAULT_OVERLOAD, ...file.overload },
    limits,
    redis: file.redis,
    adminToken: file.adminToken,
    logLevel: file.logLevel ?? 'info',
    ...(file.tracing !== undefined ? { tracing: file.tracing } : {}),
  };
}
