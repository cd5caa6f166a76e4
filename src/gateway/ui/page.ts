// The dashboard page and the sign-in page, as strings built once, with the security headers that go with them:
// a Content-Security-Policy that allows only this page's own inline style and script (by hash) and requests to
// this gateway, no framing, no referrer (the sign-in URL carries a token), no caching.
import { createHash } from 'node:crypto';
import { DASHBOARD_JS } from './page-script.js';
import { DASHBOARD_CSS } from './page-style.js';

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

function table(id: string, headings: ReadonlyArray<string | [string, 'n']>): string {
  const cells = headings.map((h) => (typeof h === 'string' ? `<th>${h}</th>` : `<th class="n">${h[0]}</th>`)).join('');
  return `<table id="${id}"><thead><tr>${cells}</tr></thead><tbody></tbody></table>`;
}

function tile(metric: string, label: string): string {
  return `<div class="tile" data-metric="${metric}"><div class="k">${label}</div><div class="v">\u2013</div><div class="sub">&nbsp;</div></div>`;
}

function chartCard(id: string, title: string, extra = ''): string {
  return (
    `<div class="card"><div class="card-h"><h2>${title}</h2><div class="legend" id="lg-${id}"></div></div>` +
    `<svg class="chart" id="ch-${id}" viewBox="0 0 480 170" role="img" aria-label="${title}"></svg>${extra}</div>`
  );
}

const BODY = [
  '<header><div class="brand">tether <span class="muted">gateway</span></div>',
  '<div class="status" id="status"><span class="dot"></span><span id="status-text">connecting\u2026</span><span class="muted" id="config"></span></div></header>',
  '<main>',
  '<div class="notice" id="notice" hidden>Your dashboard session has ended (expired, the gateway restarted, or its client token changed). ' +
    'Open <code>/ui?token=YOUR_CLIENT_TOKEN</code> again.</div>',
  '<section class="tiles">',
  tile('rps', 'Requests / s'),
  tile('requests', 'Requests'),
  tile('success', 'Succeeded'),
  tile('errors', 'Errors'),
  tile('latency', 'p95 \u00b7 1 min'),
  tile('inflight', 'In flight'),
  tile('fallbacks', 'Fallbacks'),
  tile('tokens', 'Tokens'),
  tile('spend', 'Spend'),
  '</section>',
  '<section class="grid3">',
  chartCard('rps', 'Requests per second'),
  chartCard('lat', 'Latency', '<div class="muted why" id="lat-life"></div>'),
  chartCard('err', 'Error rate'),
  '</section>',
  '<section class="grid3">',
  `<div class="card"><h2>Errors by category</h2>${table('categories', ['Category', ['Count', 'n'], 'Share of requests'])}</div>`,
  `<div class="card"><h2>Circuit breakers</h2>${table('breakers', ['Model', 'State'])}</div>`,
  `<div class="card"><h2>Fallbacks taken</h2>${table('fallbacks', ['From \u2192 to', 'Why', ['Count', 'n']])}</div>`,
  '</section>',
  '<section class="grid2">',
  `<div class="card"><h2>Pacing headroom per key</h2>${table('pacing', ['Key', 'Requests left', 'Tokens left', ['Queued', 'n'], ['Waits', 'n']])}</div>`,
  `<div class="card"><h2>Tokens and estimated spend</h2>${table('models', ['Model', ['Attempts', 'n'], ['Prompt', 'n'], ['Completion', 'n'], ['Spend', 'n']])}</div>`,
  '</section>',
  `<div class="card"><h2>Client budgets</h2>${table('budgets', ['Client', 'Window', ['Spent', 'n'], ['Reserved', 'n'], ['Left', 'n']])}</div>`,
  `<div class="card"><h2>tether run jobs</h2>${table('runs', ['Job', 'State', 'Progress', ['Failed', 'n'], ['Left', 'n'], ['Rate', 'n'], ['ETA', 'n'], ['Spend', 'n'], ['Updated', 'n']])}</div>`,
  '<section class="grid2">',
  `<div class="card"><h2>Requests by route</h2>${table('routes', ['Route', ['Requests', 'n'], ['Errors', 'n']])}</div>`,
  `<div class="card"><h2>Retries by reason</h2>${table('retries', ['Reason', ['Retries', 'n']])}</div>`,
  '</section>',
  '<footer>Read from the gateway\u2019s own Prometheus registry \u2014 the same counters as <a href="/metrics">/metrics</a> \u2014 and the pipeline\u2019s live state; ' +
    'refreshed every second. Headline numbers count the API routes (<code>/v1/\u2026</code>).</footer>',
  '</main>',
].join('\n');

function htmlDocument(title: string, css: string, body: string, script?: string): string {
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    // No favicon request (it would be a 404 in the gateway's logs and metrics).
    `<link rel="icon" href="data:,">` +
    `<title>${title}</title><style>${css}</style></head><body>\n${body}\n${script !== undefined ? `<script>${script}</script>` : ''}</body></html>\n`
  );
}

export const DASHBOARD_HTML = htmlDocument('tether gateway', DASHBOARD_CSS, BODY, DASHBOARD_JS);

const SIGN_IN_CSS =
  'body{margin:0;font:15px/1.5 system-ui,sans-serif;background:#f6f8fa;color:#1f2328}' +
  'main{max-width:640px;margin:12vh auto;padding:24px 28px;background:#fff;border:1px solid #d8dee4;border-radius:8px}' +
  'h1{font-size:20px;margin:0 0 12px}code{background:#eaeef2;padding:1px 5px;border-radius:4px}p{margin:8px 0}';

const SIGN_IN_TEXT: Record<'no_credentials' | 'unknown_token' | 'expired_session', string> = {
  no_credentials: 'This dashboard needs one of the gateway\u2019s client tokens.',
  unknown_token: 'That token is not one of this gateway\u2019s client tokens.',
  expired_session: 'Your dashboard session has expired.',
};

/** The 401 page: what was wrong and how to get in. Names no token. */
export function signInHtml(reason: keyof typeof SIGN_IN_TEXT): string {
  return htmlDocument(
    'tether gateway: sign in',
    SIGN_IN_CSS,
    `<main><h1>tether gateway dashboard</h1><p>${SIGN_IN_TEXT[reason]}</p>` +
      '<p>Open <code>/ui?token=YOUR_CLIENT_TOKEN</code> with a token listed under <code>clients</code> in the gateway config ' +
      '(a gateway client token, not a Together API key). The gateway answers with a session cookie and takes the token out of the address bar.</p>' +
      '<p>Scripts can send <code>Authorization: Bearer YOUR_CLIENT_TOKEN</code> to <code>/ui/data.json</code> instead.</p></main>',
  );
}

const DASHBOARD_CSP =
  `default-src 'none'; style-src ${sha256(DASHBOARD_CSS)}; script-src ${sha256(DASHBOARD_JS)}; connect-src 'self'; img-src 'self' data:; ` +
  `base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
const SIGN_IN_CSP = `default-src 'none'; style-src ${sha256(SIGN_IN_CSS)}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

function htmlHeaders(csp: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}

export const DASHBOARD_HEADERS = htmlHeaders(DASHBOARD_CSP);
export const SIGN_IN_HEADERS = htmlHeaders(SIGN_IN_CSP);
