// Who may see the dashboard: the gateway's own client tokens. A browser cannot send a Bearer header when it
// navigates, so `/ui?token=…` is checked once and answered with a session cookie (HttpOnly, SameSite=Strict,
// Path=/ui) and a redirect that drops the token from the address bar. The cookie holds the client's name, an
// expiry and an HMAC over both and the client's current token (never the token itself): it stops working when
// that token is removed or changed by a reload, when it expires, or when the gateway restarts (new secret).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { bearerToken } from '../clients.js';
import type { ResolvedClient } from '../config.js';

export const UI_COOKIE = 'tether_ui';
export const UI_SESSION_TTL_MS = 12 * 3600_000;

export type UiAccess =
  /** Let in; `client` is undefined when the gateway has no client tokens (loopback only, open). */
  | { ok: true; client: string | undefined; via: 'open' | 'bearer' | 'cookie' }
  | { ok: false; reason: 'no_credentials' | 'unknown_token' | 'expired_session' };

export interface UiRequest {
  authorization?: string | undefined;
  cookie?: string | undefined;
}

/** `name=value` pairs of a Cookie header (the first of each name wins, as browsers send the most specific first). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (header === undefined) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (name && !cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

function equalStrings(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class UiSessions {
  constructor(
    private readonly secret: Buffer = randomBytes(32),
    private readonly ttlMs: number = UI_SESSION_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  private mac(name: string, expires: number, token: string): string {
    return createHmac('sha256', this.secret).update(`${name}\n${expires}\n${token}`).digest('base64url');
  }

  /** The cookie value for a client that proved its token. */
  issue(client: ResolvedClient): string {
    const expires = this.now() + this.ttlMs;
    return `${Buffer.from(client.name).toString('base64url')}.${expires}.${this.mac(client.name, expires, client.token)}`;
  }

  /** The client a cookie value was issued to, if it is still valid against the current clients. */
  verify(value: string, clients: readonly ResolvedClient[]): ResolvedClient | 'expired' | undefined {
    const [encodedName, expiresText, mac, extra] = value.split('.');
    if (encodedName === undefined || expiresText === undefined || mac === undefined || extra !== undefined) return undefined;
    const name = Buffer.from(encodedName, 'base64url').toString();
    const expires = Number(expiresText);
    if (!Number.isSafeInteger(expires)) return undefined;
    const client = clients.find((c) => c.name === name);
    if (client === undefined || !equalStrings(mac, this.mac(name, expires, client.token))) return undefined;
    return expires > this.now() ? client : 'expired';
  }

  /** The Set-Cookie header value for a new session. */
  cookieFor(client: ResolvedClient): string {
    return `${UI_COOKIE}=${this.issue(client)}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(this.ttlMs / 1000)}`;
  }

  /** Bearer header first (scripts, curl), then the session cookie (browsers). */
  check(request: UiRequest, clients: readonly ResolvedClient[]): UiAccess {
    if (clients.length === 0) return { ok: true, client: undefined, via: 'open' };
    const bearer = bearerToken(request.authorization);
    if (bearer !== undefined) {
      const client = clientByToken(bearer, clients);
      return client ? { ok: true, client: client.name, via: 'bearer' } : { ok: false, reason: 'unknown_token' };
    }
    const session = parseCookies(request.cookie).get(UI_COOKIE);
    if (session === undefined) return { ok: false, reason: 'no_credentials' };
    const verified = this.verify(session, clients);
    if (verified === 'expired') return { ok: false, reason: 'expired_session' };
    return verified ? { ok: true, client: verified.name, via: 'cookie' } : { ok: false, reason: 'no_credentials' };
  }
}

/** The client whose token this is (compared in constant time). */
export function clientByToken(token: string, clients: readonly ResolvedClient[]): ResolvedClient | undefined {
  return clients.find((c) => equalStrings(c.token, token));
}
