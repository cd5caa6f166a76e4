// createGateway: the node:http shell. Routes each request to its handler with the generation (config + pipeline)
// current when it arrived, enforces the node-level limits (header/request/idle timeouts), and swaps generations
// on reload without dropping requests in flight.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { resolveGatewayConfig, GatewayConfigError } from './config.js';
import type { GatewayConfig, GatewayFileConfig } from './config.js';
import { clip, firstByteTimeout, gatewayErrorReply, gatewayOverloaded, internalError, methodNotAllowed, shuttingDown, unknownPath } from './envelope.js';
import { settle } from './exchange.js';
import type { Exchange } from './exchange.js';
import { Generation, PipelineSlot, pipelineSettings, settingsKey } from './generation.js';
import type { PipelineFactory } from './generation.js';
import { handleForward, handleHealth, handleInference, handleMetrics, handleModels } from './handlers.js';
import { createTransport } from '../api/index.js';
import type { Transport } from '../api/index.js';
import type { HandlerContext } from './handlers.js';
import { callerRequestId, discardBody, isLoopbackHost, rawClientError, requestIdGenerator, sendError } from './http.js';
import { InFlight } from './in-flight.js';
import { createGatewayLogger } from './log.js';
import type { Logger } from './log.js';
import { GatewayBudgets } from './budgets.js';
import { GatewayMetrics } from './metrics.js';
import { handleResumeKeys } from './admin.js';
import { OVERLOAD_REASONS, OverloadMonitor } from './overload.js';
import type { Endpoint, Pipeline } from './pipeline.js';
import { preloadTokenizers } from '../tokens/index.js';
import { configuredFamilies } from './tokenizer-preload.js';
import { createDashboard } from './ui/dashboard.js';

export interface GatewayOptions {
  /** Builds a pipeline for a config; default: the real pipeline (`createPipeline`). Tests pass fakes. */
  pipelineFactory?: PipelineFactory;
  /** Default: pino JSON lines on stderr at the config's `logLevel`. */
  logger?: Logger;
  /** Where `TOGETHER_API_KEY`, `TOGETHER_BASE_URL` and `…Env` fields are read. Default: process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface RunningGateway {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** url + '/v1': the base URL an OpenAI/Together SDK takes. */
  baseUrl: string;
  port: number;
  /** The config in force (keys and tokens included: never log it). */
  readonly config: GatewayConfig;
  readonly metrics: GatewayMetrics;
  /**
   * Apply a new config: new requests use it at once, requests in flight finish on the old pipeline, which is then
   * closed. An invalid config throws a GatewayConfigError and changes nothing. `host` and `port` need a restart.
   */
  reload(config: GatewayFileConfig | unknown): Promise<void>;
  /** Stop accepting requests, give those in flight `graceMs` (default 0) to finish, then close everything. */
  close(options?: { graceMs?: number }): Promise<void>;
}

type RouteKind =
  | { kind: 'inference'; endpoint: Endpoint }
  | { kind: 'passthrough' }
  | { kind: 'models' }
  | { kind: 'health' }
  | { kind: 'metrics' }
  | { kind: 'ui'; part: 'page' | 'data' }
  | { kind: 'admin-resume' };

interface RouteEntry {
  route: RouteKind;
  /** The one method the route takes; undefined: any (a pass-through). */
  method: 'GET' | 'POST' | undefined;
}

/** Every `/v1/*` path without a route of its own goes to Together unchanged (see passthrough.ts). */
const PASSTHROUGH: RouteEntry = { route: { kind: 'passthrough' }, method: undefined };

/** Metrics and log label of a pass-through request: one label for every such path (their ids are unbounded). */
const PASSTHROUGH_ROUTE = '/v1/*';

/**
 * A modelled route matches with or without one trailing slash (Together serves both): `/v1/chat/completions/` went to
 * the pass-through, straight upstream around every pipeline stage.
 */
function routeFor(path: string): RouteEntry | undefined {
  const exact = ROUTES.get(path) ?? (path.length > 1 && path.endsWith('/') ? ROUTES.get(path.slice(0, -1)) : undefined);
  return exact ?? (path.startsWith('/v1/') ? PASSTHROUGH : undefined);
}

const ROUTES = new Map<string, RouteEntry>([
  ['/v1/chat/completions', { route: { kind: 'inference', endpoint: 'chat' }, method: 'POST' }],
  ['/v1/completions', { route: { kind: 'inference', endpoint: 'completions' }, method: 'POST' }],
  ['/v1/embeddings', { route: { kind: 'inference', endpoint: 'embeddings' }, method: 'POST' }],
  ['/v1/images/generations', { route: { kind: 'inference', endpoint: 'images' }, method: 'POST' }],
  ['/v1/rerank', { route: { kind: 'inference', endpoint: 'rerank' }, method: 'POST' }],
  ['/v1/audio/speech', { route: { kind: 'inference', endpoint: 'speech' }, method: 'POST' }],
  ['/v1/audio/transcriptions', { route: { kind: 'inference', endpoint: 'transcriptions' }, method: 'POST' }],
  ['/v1/audio/translations', { route: { kind: 'inference', endpoint: 'translations' }, method: 'POST' }],
  ['/v1/models', { route: { kind: 'models' }, method: 'GET' }],
  ['/healthz', { route: { kind: 'health' }, method: 'GET' }],
  ['/metrics', { route: { kind: 'metrics' }, method: 'GET' }],
  ['/ui', { route: { kind: 'ui', part: 'page' }, method: 'GET' }],
  ['/ui/data.json', { route: { kind: 'ui', part: 'data' }, method: 'GET' }],
  ['/admin/keys/resume', { route: { kind: 'admin-resume' }, method: 'POST' }],
]);

/** Refuse a public bind without client tokens: anyone who can reach it would spend the upstream key. */
function checkExposure(config: GatewayConfig): void {
  if (config.clients.length === 0 && !isLoopbackHost(config.host)) {
    throw new GatewayConfigError(
      `refusing to listen on ${config.host} without client tokens: anyone who reaches it would spend your Together key. ` +
        'Add `clients` with tokens to the gateway config, or bind 127.0.0.1.',
    );
  }
}

/**
 * A reload never switches client auth off by accident: a config without client tokens, while the running one has
 * some, is refused unless it says so (`clients: []` with `allowAnonymous: true`). A truncated or half-written file
 * would otherwise open the gateway, on the upstream key, to anyone who reaches it.
 */
function checkAuthKept(running: GatewayConfig, next: GatewayConfig): void {
  if (running.clients.length === 0 || next.clients.length > 0 || next.anonymousOptIn) return;
  throw new GatewayConfigError(
    `refusing a config without client tokens while the running one requires them (${running.clients.length} clients): a reload never switches auth off. ` +
      'The running config stays in force. To serve without tokens on purpose, set `clients: []` and `allowAnonymous: true`.',
  );
}

function checkUpstreamKey(config: GatewayConfig): void {
  if (config.upstream.apiKey === undefined) {
    throw new GatewayConfigError('no upstream key: set TOGETHER_API_KEY, or `upstream.apiKey` / `upstream.apiKeyEnv` in the gateway config');
  }
}

/**
 * A reload is how an operator says "credit was added": keys the pipeline stopped after a 402 may send again.
 * (A new pipeline starts with none stopped; a kept one is told.)
 */
function releaseStoppedKeys(slot: PipelineSlot, config: GatewayConfig): boolean {
  const keys = new Set<string | undefined>([undefined, ...config.clients.map((c) => c.upstreamKey).filter((k) => k !== undefined)]);
  let any = false;
  for (const key of keys) any = slot.pipeline.resetKey(key) || any;
  return any;
}

async function loadPipelineFactory(): Promise<PipelineFactory> {
  const { createDefaultPipeline } = await import('./default-pipeline.js');
  return createDefaultPipeline;
}

export async function createGateway(input: GatewayFileConfig | unknown = {}, options: GatewayOptions = {}): Promise<RunningGateway> {
  const env = options.env ?? process.env;
  let config = resolveGatewayConfig(input, env);
  checkExposure(config);
  checkUpstreamKey(config);
  const log = options.logger ?? createGatewayLogger(config.logLevel);
  const factory = options.pipelineFactory ?? (await loadPipelineFactory());
  const metrics = new GatewayMetrics();
  metrics.initShedReasons(OVERLOAD_REASONS);
  // Started once the server listens: start-up work (a tokenizer preload) is not load to shed requests for.
  let monitor = config.overload === false ? undefined : new OverloadMonitor(config.overload);
  metrics.observeOverload(() => monitor?.status(exchanges.size, performance.now()));
  /** Pass-through transports to Together, one pool per upstream base URL (a reload may change it). */
  const upstreams = new Map<string, Transport>();
  const upstream = (baseUrl: string): Transport => {
    let transport = upstreams.get(baseUrl);
    if (transport === undefined) {
      transport = createTransport({ baseUrl, env: {} });
      upstreams.set(baseUrl, transport);
    }
    return transport;
  };
  const budgets = new GatewayBudgets((error) => log.warn({ err: error }, 'settling a spend budget failed: its reservation stays counted'));
  budgets.register(metrics.registry);
  const ctx: HandlerContext = { log, metrics, upstream, budgets };
  const dashboard = createDashboard({ metrics, env });
  const nextId = requestIdGenerator();
  const sockets = new Set<Socket>();
  const exchanges = new InFlight<Exchange>();
  /** Every pipeline not yet closed: the current one and retired ones still finishing requests. */
  const slots = new Set<PipelineSlot>();
  let closing = false;

  const buildSlot = (cfg: GatewayConfig): PipelineSlot => {
    const settings = pipelineSettings(cfg);
    let pipeline: Pipeline;
    try {
      pipeline = factory(settings);
    } catch (error) {
      // createPipeline checks its options too; what it refuses is a config problem, said the same way.
      throw new GatewayConfigError(`the pipeline refused this config: ${(error as Error).message}`);
    }
    const unwatch = metrics.watch(pipeline.events);
    const slot: PipelineSlot = new PipelineSlot(pipeline, settingsKey(settings), unwatch, (error) => {
      slots.delete(slot);
      if (error) log.error({ err: error }, 'closing a pipeline failed');
      else log.debug('pipeline closed');
    });
    slots.add(slot);
    return slot;
  };
  let generation = new Generation(1, config, buildSlot(config));
  budgets.configure(config.clients, config.redis);

  /**
   * The first-byte timeout: one sweep over the requests in flight a few times a second rather than a timer per
   * request. A request still waiting for the pipeline past its config's limit is answered 504 and cancelled upstream.
   */
  const sweepFirstByte = (): void => {
    const now = performance.now();
    exchanges.forEach((ex) => {
      if (ex.awaitingSince === undefined) return;
      const limit = ex.generation.config.firstByteTimeoutMs;
      if (now - ex.awaitingSince < limit) return;
      ex.awaitingSince = undefined;
      ex.timedOut = true;
      const reply = firstByteTimeout(limit);
      ex.category = reply.category;
      if (!ex.res.headersSent) sendError(ex.res, reply, ex.requestId);
      ex.abort?.abort(new Error('first-byte timeout'));
    });
  };
  let watchdog: NodeJS.Timeout | undefined;
  const startWatchdog = (limitMs: number): void => {
    clearInterval(watchdog);
    // An eighth of the limit (at most 1 s late on the default two minutes), at least 20 ms apart.
    watchdog = setInterval(sweepFirstByte, Math.min(1000, Math.max(20, Math.floor(limitMs / 8))));
    watchdog.unref();
  };
  startWatchdog(config.firstByteTimeoutMs);

  function dispatch(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const entry = routeFor(path);
    const known = entry !== undefined && entry !== PASSTHROUGH;
    const method = req.method ?? 'GET';
    const gen = generation;
    const ex: Exchange = {
      req,
      res,
      requestId: callerRequestId(req.headers['x-request-id']) ?? nextId(),
      method,
      // A client chooses the path: an unknown one is logged (and answered) only in part.
      path: known ? path : clip(path),
      route: known ? path : entry === PASSTHROUGH ? PASSTHROUGH_ROUTE : 'unknown',
      started,
      generation: gen,
      abort: undefined,
    };
    gen.slot.enter();
    const inFlight = exchanges.add(ex);
    metrics.requestStarted();
    res.on('close', () => {
      if (!res.writableFinished) ex.abort?.abort(new Error('client closed the connection'));
      exchanges.remove(inFlight);
      gen.slot.leave();
      settle(ex, log, metrics);
    });

    // A request refused here is answered without reading its body, and its connection closed: a body nobody reads is
    // not drained (it could be as long as the client likes, until the request timeout).
    if (closing) {
      ex.category = 'overloaded';
      sendError(res, shuttingDown(), ex.requestId, true);
      return;
    }
    if (entry === undefined) {
      const reply = unknownPath(method, path);
      ex.category = reply.category;
      sendError(res, reply, ex.requestId, true);
      return;
    }
    if (entry.method !== undefined && method !== entry.method && !(entry.method === 'GET' && method === 'HEAD')) {
      const reply = methodNotAllowed(method, path, entry.method);
      ex.category = reply.category;
      sendError(res, reply, ex.requestId, true);
      return;
    }
    // Overload: work that would queue behind what the gateway cannot finish is refused at the door, body unread.
    // /healthz, /metrics and the dashboard stay up to say why.
    if (monitor !== undefined && (entry.route.kind === 'inference' || entry.route.kind === 'models' || entry.route.kind === 'passthrough')) {
      const reason = monitor.shedReason(exchanges.size - 1, started);
      if (reason !== undefined) {
        metrics.requestShed(reason);
        const reply = gatewayOverloaded(reason, monitor.retryAfterMs);
        ex.category = reply.category;
        sendError(res, reply, ex.requestId, true);
        return;
      }
    }
    // Routes that read no body drop it, boundedly (inference and pass-through read theirs under the same limit).
    if (entry.route.kind !== 'inference' && entry.route.kind !== 'passthrough') discardBody(req, gen.config.limits.maxBodyBytes);
    let work: Promise<void> | void;
    switch (entry.route.kind) {
      case 'inference':
        work = handleInference(ex, entry.route.endpoint, ctx);
        break;
      case 'models':
        work = handleModels(ex, ctx);
        break;
      case 'passthrough':
        work = handleForward(ex, ctx);
        break;
      case 'health':
        work = handleHealth(ex, exchanges.size - 1, monitor?.status(exchanges.size - 1, started)); // not counting this probe
        break;
      case 'metrics':
        work = handleMetrics(ex, metrics);
        break;
      case 'ui':
        work = entry.route.part === 'page' ? dashboard.page(ex) : dashboard.data(ex);
        break;
      case 'admin-resume':
        work = handleResumeKeys(ex, gen.config.adminToken, () => releaseStoppedKeys(gen.slot, gen.config));
        break;
    }
    if (work) {
      work.catch((error: unknown) => {
        log.error({ reqId: ex.requestId, err: error }, 'handler failed');
        ex.category = 'server';
        if (!res.headersSent) sendError(res, internalError(), ex.requestId);
        else res.destroy();
      });
    }
  }

  const server = createServer(
    {
      headersTimeout: config.limits.headersTimeoutMs,
      requestTimeout: config.limits.requestTimeoutMs,
      // How often node checks the two timeouts above; its default (30 s) would let a slow client hold far longer.
      connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(config.limits.headersTimeoutMs / 4))),
      keepAliveTimeout: config.limits.keepAliveTimeoutMs,
      noDelay: true,
      // node:http would answer a missing Host with a bare 400: checked below, so the refusal is in the envelope.
      requireHostHeader: false,
    },
    (req, res) => {
      if (req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) {
        refuseBare(res, 400, 'missing_host', 'An HTTP/1.1 request must carry a Host header.', 'Use an HTTP client library; it sends Host.');
      } else dispatch(req, res);
    },
  );
  /** A refusal node:http would send bare (no Host, an Expect it does not know): the envelope, connection closed. */
  function refuseBare(res: ServerResponse, status: 400 | 417, code: string, message: string, fix: string): void {
    sendError(res, gatewayErrorReply({ status, category: 'validation', code, message, fix }), nextId(), true);
  }
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) =>
    refuseBare(res, 417, 'expectation_failed', 'The only Expect the gateway takes is 100-continue.', 'Drop the Expect header, or send Expect: 100-continue.'),
  );
  server.keepAliveTimeout = config.limits.keepAliveTimeoutMs;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    log.debug({ code: error.code }, 'client error');
    rawClientError(socket, error.code, nextId());
  });
  // Without a listener node:http closes a CONNECT unanswered; the gateway is no proxy: a 405 in the envelope.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => rawClientError(socket, 'CONNECT', nextId()));

  // The real pipeline's preflight counts with the model's tokenizer: load the configured models' families now
  // (on the pipeline's tokenizer thread), so that a first request does not wait up to ~1.6 s for one. A test's
  // fake pipeline needs none.
  if (options.pipelineFactory === undefined) {
    const families = configuredFamilies(config);
    if (families.length > 0) {
      const started = performance.now();
      const loaded = await preloadTokenizers(families);
      log.info(
        { families: loaded.map((s) => (s.available ? s.family : `${s.family} (unavailable)`)), ms: Math.round(performance.now() - started) },
        'tokenizers preloaded for the configured models',
      );
    }
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    clearInterval(watchdog);
    monitor?.stop();
    await generation.slot.close();
    throw error;
  });
  monitor?.start();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;
  log.info({ url, clients: config.clients.length, aliases: config.aliases.size, routes: config.routes.size }, 'gateway listening');

  /** A reload's overload settings: new thresholds, or shedding switched on or off. */
  function applyOverload(cfg: GatewayConfig): void {
    if (cfg.overload === false) {
      monitor?.stop();
      monitor = undefined;
      return;
    }
    if (monitor === undefined) {
      monitor = new OverloadMonitor(cfg.overload);
      monitor.start();
    } else monitor.configure(cfg.overload);
  }

  let generations = 1;
  async function reload(next: GatewayFileConfig | unknown): Promise<void> {
    if (closing) throw new GatewayConfigError('the gateway is closing: a new config cannot be applied');
    const old = generation;
    let resolved: GatewayConfig;
    let slot: PipelineSlot;
    try {
      resolved = resolveGatewayConfig(next, env);
      checkUpstreamKey(resolved);
      checkAuthKept(config, resolved);
      // The bound address cannot change, but a reload must not leave a public bind without tokens.
      checkExposure({ ...resolved, host: config.host });
      const key = settingsKey(pipelineSettings(resolved));
      slot = key === old.slot.settingsKey ? old.slot : buildSlot(resolved);
    } catch (error) {
      metrics.reload('rejected');
      throw error;
    }
    if (resolved.host !== config.host || resolved.port !== config.port) {
      log.warn({ host: resolved.host, port: resolved.port }, 'host and port changes take effect at the next restart');
    }
    generations += 1;
    generation = new Generation(generations, { ...resolved, host: config.host, port: config.port }, slot);
    config = generation.config;
    budgets.configure(config.clients, config.redis);
    server.headersTimeout = config.limits.headersTimeoutMs;
    server.requestTimeout = config.limits.requestTimeoutMs;
    server.keepAliveTimeout = config.limits.keepAliveTimeoutMs;
    startWatchdog(config.firstByteTimeoutMs);
    applyOverload(config);
    metrics.reload('applied');
    log.info({ config: generation.id, newPipeline: slot !== old.slot, inflight: old.slot.inflight }, 'config reloaded');
    if (slot !== old.slot) await old.slot.retire();
    else releaseStoppedKeys(slot, config);
  }

  let closed: Promise<void> | undefined;
  async function shutdown(graceMs: number): Promise<void> {
    closing = true;
    clearInterval(watchdog);
    monitor?.stop();
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (exchanges.size > 0 && graceMs > 0) {
      const deadline = Date.now() + graceMs;
      while (exchanges.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    }
    for (const ex of exchanges.values()) ex.abort?.abort(new Error('gateway closing'));
    for (const socket of sockets) socket.destroy();
    await stopped;
    await Promise.all([...slots].map((slot) => slot.close()));
    await budgets.close();
    await Promise.all([...upstreams.values()].map((transport) => transport.close().catch(() => undefined)));
    log.info('gateway closed');
    log.flush?.();
  }

  return {
    url,
    baseUrl: `${url}/v1`,
    port,
    get config() {
      return config;
    },
    metrics,
    reload,
    close(closeOptions = {}) {
      closed ??= shutdown(closeOptions.graceMs ?? 0);
      return closed;
    },
  };
}
