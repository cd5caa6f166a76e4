// The gateway's live dashboard: `GET /ui` (the page) and `GET /ui/data.json` (what it polls). The data is read
// from the gateway's own metrics registry and the current pipeline's state on every poll, so the page and /metrics
// cannot disagree. The gateway's client tokens guard both (see auth.ts); without client tokens the gateway is
// loopback-only and so is this.
import { readRunStatuses, runsDir } from '../../local-state/index.js';
import { unauthorized } from '../envelope.js';
import type { Exchange } from '../exchange.js';
import { sendError, sendJson } from '../http.js';
import type { GatewayMetrics } from '../metrics.js';
import { clientByToken, UiSessions } from './auth.js';
import type { UiAccess } from './auth.js';
import { budgetRows } from './budget-rows.js';
import { History, sampleOf } from './history.js';
import { DASHBOARD_HEADERS, DASHBOARD_HTML, SIGN_IN_HEADERS, signInHtml } from './page.js';
import { readMetrics } from './readings.js';
import type { MetricFamily } from './readings.js';
import { dashboardData } from './snapshot.js';
import type { DashboardData, RunRow } from './snapshot.js';

export interface DashboardOptions {
  metrics: GatewayMetrics;
  /** Where TETHER_HOME is read (the `tether run` status files live under it). Default process.env. */
  env?: NodeJS.ProcessEnv;
  now?: () => number;
  sessions?: UiSessions;
}

export interface Dashboard {
  page(ex: Exchange): void;
  data(ex: Exchange): Promise<void>;
  /** The data the page gets now; `ex` is the poll asking (it is not counted as in flight). */
  read(ex: Pick<Exchange, 'generation'>): Promise<DashboardData>;
}

function tokenParam(url: string | undefined): string | undefined {
  const q = url?.indexOf('?') ?? -1;
  if (url === undefined || q === -1) return undefined;
  const token = new URLSearchParams(url.slice(q + 1)).get('token');
  return token === null ? undefined : token;
}

function html(ex: Exchange, status: number, body: string, headers: Record<string, string>): void {
  ex.res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body), 'x-request-id': ex.requestId });
  ex.res.end(body);
}

function access(ex: Exchange, sessions: UiSessions): UiAccess {
  const { authorization, cookie } = ex.req.headers;
  return sessions.check({ authorization, cookie }, ex.generation.config.clients);
}

export function createDashboard(options: DashboardOptions): Dashboard {
  const sessions = options.sessions ?? new UiSessions();
  const now = options.now ?? Date.now;
  const history = new History();
  const dir = runsDir(options.env ?? process.env);

  async function runs(): Promise<{ rows: RunRow[]; error?: string }> {
    try {
      return { rows: await readRunStatuses(dir, undefined, now()) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return { rows: [], error: `${dir}: ${code ?? (error as Error).message}` };
    }
  }

  async function read(ex: Pick<Exchange, 'generation'>): Promise<DashboardData> {
    const [metrics, jobs] = await Promise.all([options.metrics.registry.getMetricsAsJSON() as Promise<MetricFamily[]>, runs()]);
    const at = now();
    const readings = readMetrics(metrics);
    // The poll being answered is in the in-flight gauge; the page shows the requests besides itself.
    readings.inflight = Math.max(0, readings.inflight - 1);
    const samples = history.record(sampleOf(readings, at));
    const data = dashboardData({
      at,
      config: ex.generation.id,
      readings,
      samples,
      state: ex.generation.pipeline.state(),
      runs: jobs.rows,
      runsError: jobs.error,
    });
    data.budgets = budgetRows(metrics);
    return data;
  }

  return {
    read,

    page(ex) {
      ex.req.resume();
      const clients = ex.generation.config.clients;
      const token = tokenParam(ex.req.url);
      if (token !== undefined) {
        const client = clients.length === 0 ? undefined : clientByToken(token, clients);
        if (clients.length > 0 && client === undefined) {
          ex.category = 'auth';
          html(ex, 401, signInHtml('unknown_token'), SIGN_IN_HEADERS);
          return;
        }
        // Trade the token for a cookie and take it out of the address bar (and the browser's history).
        const headers: Record<string, string> = { location: '/ui', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-request-id': ex.requestId };
        if (client !== undefined) headers['set-cookie'] = sessions.cookieFor(client);
        ex.res.writeHead(303, headers);
        ex.res.end();
        return;
      }
      const allowed = access(ex, sessions);
      if (!allowed.ok) {
        ex.category = 'auth';
        html(ex, 401, signInHtml(allowed.reason), SIGN_IN_HEADERS);
        return;
      }
      html(ex, 200, DASHBOARD_HTML, DASHBOARD_HEADERS);
    },

    async data(ex) {
      ex.req.resume();
      const allowed = access(ex, sessions);
      if (!allowed.ok) {
        const reply = unauthorized(allowed.reason === 'unknown_token');
        ex.category = reply.category;
        sendError(ex.res, reply, ex.requestId);
        return;
      }
      const body = JSON.stringify(await read(ex));
      if (ex.res.destroyed) return;
      sendJson(ex.res, 200, body, { 'x-request-id': ex.requestId, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    },
  };
}
