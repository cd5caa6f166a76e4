// startEmulator: the node:http shell around the route table. Tracks sockets so close() ends stalled streams,
// gives every response an x-request-id, turns handler crashes into a 500 envelope, and logs one pino line per
// request (never the Authorization header).
import { createServer, STATUS_CODES } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { pino } from 'pino';
import { EmulatorConfigError, parseFaults, resolveEmulatorConfig } from './config.js';
import type { EmulatorConfig, EmulatorOptions, FaultSpec } from './config.js';
import { badHttpRequest, echoed, errorEnvelope, internalError, invalidRequest, methodNotAllowed, requestTimeout, unknownEndpoint } from './errors.js';
import type { EmulatorError } from './errors.js';
import { boundUnwantedBody, createExchange, resetConnection, sendError } from './http.js';
import { requestIdGenerator } from './ids.js';
import { matchRoute } from './router.js';
import type { Route } from './router.js';
import { adminRoutes } from './routes/admin.js';
import { batchRoutes } from './routes/batches.js';
import { chatRoutes } from './routes/chat.js';
import { completionRoutes } from './routes/completions.js';
import { embeddingRoutes } from './routes/embeddings.js';
import { fileRoutes } from './routes/files.js';
import { fineTuneRoutes } from './routes/fine-tunes.js';
import { mediaRoutes } from './routes/media.js';
import { modelRoutes } from './routes/models.js';
import { whoamiRoutes } from './routes/whoami.js';
import { createState, findKey, resetState, startScenario, statsSnapshot } from './state.js';
import { parseScenario } from './scenario.js';
import type { Scenario } from './scenario.js';
import type { ScenarioState } from './scenario-player.js';
import type { EmulatorState, ResetScope } from './state.js';
import type { EmulatorStats } from './stats.js';

export interface RunningEmulator {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** url + '/v1': what TOGETHER_BASE_URL / an SDK's baseURL should be. */
  baseUrl: string;
  port: number;
  /** Closes the server and every socket (stalled streams included) and clears timers. */
  close(): Promise<void>;
  stats(): EmulatorStats;
  /** Zero the counters (stats only). */
  resetStats(): void;
  /** Back to the start state; `scope` picks parts (stats, limits, credits, faults, data), all by default. */
  reset(scope?: ResetScope): void;
  /** Replace every fault at run time; throws EmulatorConfigError naming a bad field. */
  setFaults(faults: FaultSpec[]): void;
  /** Set a key's remaining credits (by key value or name); throws for an unknown key. */
  setCredits(apiKey: string, usd: number): void;
  /** The resolved config (the listening port, the current faults). */
  readonly config: EmulatorConfig;
  /** Start a scenario now (replacing one that plays); throws ScenarioError naming a bad field. */
  startScenario(scenario: unknown): void;
  /** Stop the scenario playing, if any. */
  stopScenario(): void;
  scenarioState(): ScenarioState;
}

/** startEmulator's options: the config file's fields, plus what only a program can give. */
export interface StartEmulatorOptions extends EmulatorOptions {
  /** A scenario to play from the start (an object in the scenario file's shape, or one from loadScenarioFile). */
  scenario?: unknown;
  /** The emulator's clock (ms), for tests that play a scenario or a dynamic limit without waiting (default Date.now). */
  clock?: () => number;
}

function toScenario(input: unknown, source: string): Scenario {
  // One from loadScenarioFile / parseScenario is already validated (its `events` carry `atMs`).
  const events = (input as { events?: Array<{ atMs?: unknown }> } | null)?.events;
  if (Array.isArray(events) && events.length > 0 && events.every((e) => typeof e?.atMs === 'number')) return input as Scenario;
  return parseScenario(input, source);
}

function buildRoutes(state: EmulatorState): Route[] {
  return [...modelRoutes(state), ...chatRoutes(state), ...completionRoutes(state), ...embeddingRoutes(state), ...mediaRoutes(state), ...whoamiRoutes(state), ...fileRoutes(state), ...fineTuneRoutes(state), ...batchRoutes(state), ...adminRoutes(state)];
}

export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const { scenario: scenarioInput, clock, ...fileOptions } = options ?? {};
  const config = resolveEmulatorConfig(fileOptions);
  if (clock !== undefined && typeof clock !== 'function') throw new EmulatorConfigError('`clock` must be a function returning the time in ms');
  const initialScenario = scenarioInput === undefined ? undefined : toScenario(scenarioInput, 'the `scenario` option');
  const logOptions = { name: 'tether-emulator', level: config.logLevel, base: undefined };
  const log = config.logLevel === 'silent' ? pino(logOptions) : pino(logOptions, pino.destination({ dest: 2, sync: true }));
  const state = createState(config, log, clock);
  if (initialScenario) {
    state.initialScenario = initialScenario;
    startScenario(state, initialScenario);
  }
  const routes = buildRoutes(state);
  const nextId = requestIdGenerator(config.seed);
  const closing = new AbortController();
  const sockets = new Set<Socket>();
  /** The response a socket is sending while its request may still be arriving: a timeout then only closes it. */
  const answering = new WeakMap<Socket, ServerResponse>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const ex = createExchange(req, res, nextId(), closing.signal, state.now());
    answering.set(req.socket, res);
    const answered = (): void => {
      if (req.complete && res.writableFinished && answering.get(req.socket) === res) answering.delete(req.socket);
    };
    res.on('finish', answered);
    // Before node:http's own drain of an unread body at 'finish', which would read it all and drop any listener.
    res.once('prefinish', () => boundUnwantedBody(req, config.maxBodyBytes));
    req.on('end', answered);
    res.setHeader('x-request-id', ex.requestId);
    const admin = ex.path.startsWith('/_emulator/');
    if (!admin) {
      state.stats.request(ex.path, req.headers['traceparent']);
      res.on('close', () => state.stats.status(res.writableFinished ? res.statusCode : 'reset'));
    }
    res.on('close', () => {
      log.info(
        {
          reqId: ex.requestId,
          method: echoed(ex.method),
          path: echoed(ex.path),
          ...ex.logFields,
          status: res.writableFinished ? res.statusCode : 'reset',
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    });
    const match = matchRoute(routes, ex.method, ex.path);
    if (match.kind !== 'found') {
      req.resume(); // drain any body so the client can read the answer
      sendError(ex, match.kind === 'none' ? unknownEndpoint(ex.method, ex.path) : methodNotAllowed(ex.method, ex.path, match.allowed));
      return;
    }
    try {
      await match.route.handler(ex, match.params);
    } catch (error) {
      log.error({ reqId: ex.requestId, err: error }, 'handler failed');
      if (!res.headersSent) sendError(ex, internalError());
      else resetConnection(ex);
    }
  }

  const server = createServer(
    {
      headersTimeout: Math.min(config.headersTimeoutMs, config.requestTimeoutMs),
      requestTimeout: config.requestTimeoutMs,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      // How often the two timeouts above are checked (Node's default, 30 s, let a 60 s timeout end at 90 s).
      connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs),
      // node:http would answer a missing Host with a bare 400: checked below, so the refusal is in the envelope.
      requireHostHeader: false,
    },
    (req, res) => {
      if (req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) {
        refuseBare(res, 400, 'An HTTP/1.1 request must carry a Host header. Use an HTTP client library; it sends Host.');
      } else void handle(req, res);
    },
  );
  /** A refusal node:http would send bare (no Host, an Expect it does not know): Together's envelope, connection closed. */
  function refuseBare(res: ServerResponse, status: number, message: string): void {
    const body = JSON.stringify(errorEnvelope(nextId(), invalidRequest(message).error));
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), connection: 'close' });
    res.end(body);
  }
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) =>
    refuseBare(res, 417, 'The only Expect header the emulator takes is 100-continue. Drop it, or send Expect: 100-continue.'),
  );
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A request node:http refused before any handler saw it (too slow, malformed, headers too large): answered in
  // Together's envelope, as every other error is, and the connection closed.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === 'ECONNRESET' || answering.get(socket as Socket)?.headersSent === true) {
      socket.destroy();
      return;
    }
    const reply: EmulatorError =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? requestTimeout(Math.min(config.headersTimeoutMs, config.requestTimeoutMs), config.requestTimeoutMs) : badHttpRequest(error.code === 'HPE_HEADER_OVERFLOW');
    const body = JSON.stringify(errorEnvelope(nextId(), reply.error));
    socket.end(
      `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ''}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  // Without a listener node:http closes a CONNECT unanswered: a 405 in the envelope instead, like any wrong method.
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    const body = JSON.stringify(errorEnvelope(nextId(), methodNotAllowed('CONNECT', req.url ?? '', ['GET', 'POST']).error));
    socket.end(`HTTP/1.1 405 Method Not Allowed\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nallow: GET, POST\r\nconnection: close\r\n\r\n${body}`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;
  log.info({ url, keys: config.keys.map((k) => k.name), faults: config.faults.length }, 'emulator listening');

  let closed: Promise<void> | undefined;
  return {
    url,
    baseUrl: `${url}/v1`,
    port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort(); // ends pauses, stalls and slow streams
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
    stats: () => statsSnapshot(state),
    resetStats: () => resetState(state, { stats: true, limits: false, credits: false, faults: false, data: false }),
    reset: (scope) => resetState(state, scope),
    setFaults(faults) {
      state.faults.replace(parseFaults(faults));
    },
    startScenario(scenario) {
      startScenario(state, toScenario(scenario, 'scenario'));
    },
    stopScenario: () => state.scenario.stop(),
    scenarioState: () => state.scenario.state(),
    setCredits(apiKey, usd) {
      const key = findKey(state, apiKey);
      if (!key) throw new EmulatorConfigError('setCredits: no configured key has that value or name');
      if (!Number.isFinite(usd) || usd < 0) throw new EmulatorConfigError('setCredits: `usd` must be a number >= 0');
      state.credits.set(key.key, usd);
    },
    get config() {
      return { ...config, port, faults: state.faults.list() };
    },
  };
}
