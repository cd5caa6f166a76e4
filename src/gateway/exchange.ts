// One client request as the handlers see it, and the final accounting when its response closes (one log line,
// one metrics observation, the pipeline's in-flight count released).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LightAbortController } from '../policy/index.js';
import { logAccess } from './log.js';
import type { Logger } from './log.js';
import type { GatewayMetrics } from './metrics.js';
import type { Generation } from './generation.js';

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  method: string;
  path: string;
  /** Metrics label: the route's path, or `unknown`. */
  route: string;
  started: number;
  generation: Generation;
  /** Aborted when the client goes away before its response is complete. */
  abort: LightAbortController | undefined;
  // Filled in by the handlers, for the log line and metrics.
  client?: string | undefined;
  /** The upstream key of the client's config entry, if it has its own (never logged). */
  upstreamKey?: string | undefined;
  /** The client's spend budget, if it has one. */
  budget?: { usd: number; per: 'day' | 'month' | 'total' } | undefined;
  model?: string | undefined;
  answeredBy?: string | undefined;
  attempts?: number | undefined;
  category?: string | undefined;
  stream?: boolean | undefined;
  upstreamRequestId?: string | undefined;
  /** When the handler started waiting for the pipeline's answer (performance.now()); undefined when not waiting. */
  awaitingSince?: number | undefined;
  /** The first-byte timeout answered this request (504) and cancelled its upstream call. */
  timedOut?: boolean | undefined;
}

/** Logs and measures the exchange once its response has closed (finished, or cut by either side). */
export function settle(ex: Exchange, log: Logger, metrics: GatewayMetrics): void {
  const finished = ex.res.writableFinished;
  const status = finished ? ex.res.statusCode : 'reset';
  const seconds = (performance.now() - ex.started) / 1000;
  metrics.requestEnded({ route: ex.route, status, category: ex.category ?? (!finished ? 'client_closed' : ex.res.statusCode < 400 ? 'none' : 'error'), seconds, stream: ex.stream === true });
  logAccess(log, {
    reqId: ex.requestId,
    method: ex.method,
    path: ex.path,
    status,
    ms: Math.round(seconds * 1000),
    client: ex.client,
    model: ex.model,
    answeredBy: ex.answeredBy !== ex.model ? ex.answeredBy : undefined,
    attempts: ex.attempts,
    category: ex.category,
    stream: ex.stream,
    upstreamRequestId: ex.upstreamRequestId,
    config: ex.generation.id,
  });
}
