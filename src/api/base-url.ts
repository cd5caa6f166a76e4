// Where requests go: the base URL from options, else TOGETHER_BASE_URL, else Together's documented default.

/**
 * Together's current API host: the OpenAPI description and the together-ai SDK moved to it on 2026-04-28. The older
 * `https://api.together.xyz/v1` serves the same API and keeps working wherever a user sets it.
 */
export const DEFAULT_BASE_URL = 'https://api.together.ai/v1';

export interface BaseUrlParts {
  /** `scheme://host[:port]`, what undici's dispatcher needs as `origin`. */
  origin: string;
  /** The path prefix without a trailing slash (`/v1`, or `` for a bare host). */
  basePath: string;
  /** The normalised base URL (origin + basePath). */
  href: string;
}

/** The base URL to use: the explicit one, else `TOGETHER_BASE_URL`, else {@link DEFAULT_BASE_URL}. */
export function resolveBaseUrl(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['TOGETHER_BASE_URL'];
  if (explicit !== undefined && explicit.trim() !== '') return explicit.trim();
  if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv.trim();
  return DEFAULT_BASE_URL;
}

/** Split and validate a base URL; a bad one is an error that says what is wrong and what a good one looks like. */
export function parseBaseUrl(baseUrl: string): BaseUrlParts {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`Invalid base URL "${baseUrl}": expected an absolute http(s) URL such as ${DEFAULT_BASE_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Invalid base URL "${baseUrl}": the scheme must be http or https (for example ${DEFAULT_BASE_URL})`);
  }
  if (url.username !== '' || url.password !== '') {
    // Credentials in a URL end up in logs; the key belongs in the Authorization header.
    throw new TypeError('Invalid base URL: it must not contain credentials; pass the API key separately');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new TypeError(`Invalid base URL "${url.origin}${url.pathname}": it must not contain a query string or fragment`);
  }
  const basePath = url.pathname.replace(/\/+$/, '');
  return { origin: url.origin, basePath, href: url.origin + basePath };
}

/** Join a base path and an endpoint path with exactly one slash between them. */
export function joinPath(basePath: string, path: string): string {
  const base = basePath.replace(/\/+$/, '');
  const rest = path.replace(/^\/+/, '');
  return `${base}/${rest}`;
}

export type QueryValue = string | number | boolean | undefined | null;

/** `?a=1&b=x` from a record, skipping undefined/null values; empty string when nothing is left. */
export function formatQuery(query: Readonly<Record<string, QueryValue>> | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    params.append(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
