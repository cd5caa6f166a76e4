// The proxy variables, read the way undici's EnvHttpProxyAgent reads them (lower-case first; HTTPS falls back to
// HTTP; NO_PROXY entries match a host or its subdomains, optionally on one port; `*` disables proxying), so
// what the doctor reports is what its requests do.
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';

export interface ProxySettings {
  httpProxy?: string | undefined;
  httpsProxy?: string | undefined;
  noProxy?: string | undefined;
  /** Which variable each value came from (`https_proxy`, `HTTPS_PROXY`…). */
  sources: { httpProxy?: string; httpsProxy?: string; noProxy?: string };
}

function firstSet(env: NodeJS.ProcessEnv, names: readonly string[]): { value: string; name: string } | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') return { value: value.trim(), name };
  }
  return undefined;
}

export function proxySettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ProxySettings {
  const http = firstSet(env, ['http_proxy', 'HTTP_PROXY']);
  const https = firstSet(env, ['https_proxy', 'HTTPS_PROXY']);
  const no = firstSet(env, ['no_proxy', 'NO_PROXY']);
  const sources: ProxySettings['sources'] = {};
  if (http) sources.httpProxy = http.name;
  if (https) sources.httpsProxy = https.name;
  if (no) sources.noProxy = no.name;
  return { httpProxy: http?.value, httpsProxy: https?.value, noProxy: no?.value, sources };
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/** Whether undici proxies a request to host:port under this NO_PROXY value. */
export function shouldProxy(hostname: string, port: number, noProxy: string | undefined): boolean {
  const value = noProxy ?? '';
  const entries = value
    .split(/[,\s]/)
    .filter((entry) => entry !== '')
    .map((entry) => {
      const parsed = /^(.+):(\d+)$/.exec(entry);
      return { hostname: (parsed ? (parsed[1] as string) : entry).replace(/^\*?\./, '').toLowerCase(), port: parsed ? Number(parsed[2]) : 0 };
    });
  if (entries.length === 0) return true;
  if (value === '*') return false;
  const host = hostname.toLowerCase();
  for (const entry of entries) {
    if (entry.port && entry.port !== port) continue;
    if (host === entry.hostname || host.endsWith(`.${entry.hostname}`)) return false;
  }
  return true;
}

/** A URL with any user:password replaced, for display. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = parsed.username === '' ? '' : '***';
    parsed.password = parsed.password === '' ? '' : '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

export interface ProxyChoice {
  /** The proxy requests to this URL go through, if any. */
  proxy?: string | undefined;
  /** Which variable chose it, or why none applies. */
  reason: string;
}

/** The proxy a request to `target` uses under these settings. */
export function proxyFor(settings: ProxySettings, target: URL): ProxyChoice {
  const https = target.protocol === 'https:';
  const proxy = https ? (settings.httpsProxy ?? settings.httpProxy) : settings.httpProxy;
  const variable = https ? (settings.sources.httpsProxy ?? settings.sources.httpProxy) : settings.sources.httpProxy;
  if (proxy === undefined) return { reason: `no ${https ? 'HTTPS_PROXY or HTTP_PROXY' : 'HTTP_PROXY'} set` };
  const hostname = target.host.replace(/:\d*$/, '');
  const port = Number.parseInt(target.port, 10) || DEFAULT_PORTS[target.protocol] || 0;
  if (!shouldProxy(hostname, port, settings.noProxy)) return { reason: `${target.host} matches ${settings.sources.noProxy ?? 'NO_PROXY'}` };
  return { proxy, reason: `from ${variable ?? 'the environment'}` };
}

export interface ConnectOptions {
  /** Extra trusted CA certificates (PEM), besides Node's (which include NODE_EXTRA_CA_CERTS). */
  ca?: string | Buffer | Array<string | Buffer> | undefined;
  /** Connect timeout, ms. */
  timeout?: number | undefined;
}

/** The dispatcher requests go through: an EnvHttpProxyAgent given exactly these settings when any proxy is set. */
export function createDispatcher(settings: ProxySettings, connect: ConnectOptions = {}): Dispatcher {
  const connectOptions = {
    ...(connect.ca === undefined ? {} : { ca: connect.ca }),
    ...(connect.timeout === undefined ? {} : { timeout: connect.timeout }),
  };
  if (settings.httpProxy === undefined && settings.httpsProxy === undefined) return new Agent({ connect: connectOptions });
  return new EnvHttpProxyAgent({
    httpProxy: settings.httpProxy ?? '',
    httpsProxy: settings.httpsProxy ?? settings.httpProxy ?? '',
    noProxy: settings.noProxy ?? '',
    connect: connectOptions,
    // Through a tunnel, the TLS session with the API is the proxy agent's `requestTls`, not `connect`.
    requestTls: connectOptions,
  });
}
