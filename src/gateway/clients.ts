// The gateway's own auth: client tokens (distinct from the upstream key) and per-token request limits, counted by
// rate-limiter-flexible in this process.
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { ResolvedClient } from './config.js';

export interface ClientLimit {
  limiter: RateLimiterMemory;
  /** For the 429 message, e.g. `5 requests/s`. */
  label: string;
}

export interface AuthenticatedClient {
  name: string;
  /** Upstream key for this client's requests; undefined: the pipeline's default. */
  upstreamKey?: string | undefined;
  limits: readonly ClientLimit[];
  /** The client's spend budget (gateway/budgets.ts); undefined: none. */
  budget?: ResolvedClient['budget'];
}

export type AuthResult = { ok: true; client: AuthenticatedClient | undefined } | { ok: false; hasHeader: boolean };

export type LimitResult = { ok: true } | { ok: false; retryAfterMs: number; label: string };

function limitsFor(client: ResolvedClient): ClientLimit[] {
  const limits: ClientLimit[] = [];
  if (client.requestsPerSecond !== undefined) {
    // rate-limiter-flexible counts whole points per whole-second window: a fractional rate becomes N per M s.
    const perSecond = client.requestsPerSecond;
    const duration = perSecond >= 1 ? 1 : Math.ceil(1 / perSecond);
    const points = Math.max(1, Math.floor(perSecond * duration));
    limits.push({ limiter: new RateLimiterMemory({ points, duration }), label: `${perSecond} requests/s` });
  }
  if (client.requestsPerMinute !== undefined) {
    limits.push({ limiter: new RateLimiterMemory({ points: client.requestsPerMinute, duration: 60 }), label: `${client.requestsPerMinute} requests/min` });
  }
  return limits;
}

/** The bearer token of an `Authorization` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export class ClientRegistry {
  private readonly byToken = new Map<string, AuthenticatedClient>();

  constructor(clients: readonly ResolvedClient[]) {
    for (const client of clients) {
      this.byToken.set(client.token, { name: client.name, upstreamKey: client.upstreamKey, limits: limitsFor(client), budget: client.budget });
    }
  }

  /** True when the gateway checks tokens at all (some client is configured). */
  get enforced(): boolean {
    return this.byToken.size > 0;
  }

  /** Without configured clients every caller is let in (loopback only) as an anonymous client. */
  authenticate(authorization: string | undefined): AuthResult {
    if (this.byToken.size === 0) return { ok: true, client: undefined };
    const token = bearerToken(authorization);
    const client = token === undefined ? undefined : this.byToken.get(token);
    return client ? { ok: true, client } : { ok: false, hasHeader: authorization !== undefined };
  }
}

/** Spend one request of each of the client's limits; the first exhausted one answers with its wait. */
export async function consumeLimits(client: AuthenticatedClient): Promise<LimitResult> {
  for (const { limiter, label } of client.limits) {
    try {
      await limiter.consume(client.name, 1);
    } catch (error) {
      if (error instanceof RateLimiterRes) return { ok: false, retryAfterMs: error.msBeforeNext, label };
      throw error;
    }
  }
  return { ok: true };
}
