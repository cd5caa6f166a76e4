// The network probes under the doctor's DNS, TCP and TLS steps: thin wrappers over node:dns, node:net and
// node:tls that time each operation and always settle within their timeout.
import { lookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { clampTimerMs } from '../policy/index.js';

/** A probe failure: the system error code (ENOTFOUND, ECONNREFUSED…) and a message without secrets. */
export class ProbeError extends Error {
  override readonly name = 'ProbeError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

function withTimeout<T>(what: string, ms: number, start: (settle: { resolve: (value: T) => void; reject: (error: unknown) => void }) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let cleanup: () => void = () => undefined;
    const timer = setTimeout(() => {
      cleanup();
      reject(new ProbeError('ETIMEDOUT', `${what} did not finish within ${ms} ms`));
    }, clampTimerMs(ms));
    const done =
      <A>(fn: (arg: A) => void) =>
      (arg: A): void => {
        clearTimeout(timer);
        fn(arg);
      };
    cleanup = start({ resolve: done(resolve), reject: done(reject) });
  });
}

export interface LookupResult {
  addresses: Array<{ address: string; family: number }>;
  elapsedMs: number;
}

/** Resolves a host name the way connections do (getaddrinfo); an IP literal resolves to itself. */
export async function resolveHost(host: string, timeoutMs: number): Promise<LookupResult> {
  const started = performance.now();
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) !== 0) return { addresses: [{ address: bare, family: isIP(bare) }], elapsedMs: 0 };
  const addresses = await withTimeout<Array<{ address: string; family: number }>>(`DNS lookup of ${bare}`, timeoutMs, ({ resolve, reject }) => {
    lookup(bare, { all: true }).then(resolve, (error: unknown) => reject(new ProbeError(codeOf(error), `DNS lookup of ${bare} failed (${codeOf(error)})`)));
    return () => undefined;
  });
  return { addresses, elapsedMs: performance.now() - started };
}

export interface ConnectResult {
  remoteAddress: string | undefined;
  elapsedMs: number;
}

/** Opens (and closes) a TCP connection. */
export function connectTcp(host: string, port: number, timeoutMs: number): Promise<ConnectResult> {
  const started = performance.now();
  return withTimeout<ConnectResult>(`TCP connect to ${host}:${port}`, timeoutMs, ({ resolve, reject }) => {
    const socket = netConnect({ host: host.replace(/^\[|\]$/g, ''), port });
    socket.once('connect', () => {
      const remoteAddress = socket.remoteAddress;
      socket.destroy();
      resolve({ remoteAddress, elapsedMs: performance.now() - started });
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(new ProbeError(codeOf(error), `TCP connect to ${host}:${port} failed (${codeOf(error)})`));
    });
    return () => socket.destroy();
  });
}

/** A socket tunnelled through an HTTP proxy with CONNECT (what undici's ProxyAgent does for every request). */
export function openTunnel(proxyUrl: string, host: string, port: number, timeoutMs: number): Promise<Socket> {
  const proxy = new URL(proxyUrl);
  const headers: Record<string, string> = { host: `${host}:${port}` };
  if (proxy.username !== '' || proxy.password !== '') {
    const user = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    headers['proxy-authorization'] = `Basic ${Buffer.from(user).toString('base64')}`;
  }
  return withTimeout<Socket>(`CONNECT through the proxy to ${host}:${port}`, timeoutMs, ({ resolve, reject }) => {
    const req = httpRequest({
      host: proxy.hostname.replace(/^\[|\]$/g, ''),
      port: Number(proxy.port) || 80,
      method: 'CONNECT',
      path: `${host}:${port}`,
      headers,
    });
    req.once('connect', (response, socket) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        reject(new ProbeError(`PROXY_${response.statusCode ?? 0}`, `the proxy answered ${response.statusCode ?? '?'} to CONNECT ${host}:${port}`));
        return;
      }
      resolve(socket);
    });
    req.once('error', (error) => reject(new ProbeError(codeOf(error), `connecting to the proxy failed (${codeOf(error)})`)));
    req.end();
    return () => req.destroy();
  });
}

export interface CertificateFacts {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  subjectAltName?: string | undefined;
  fingerprint256?: string | undefined;
}

export interface TlsResult {
  /** Whether the chain and the host name verified against the trusted CAs. */
  authorized: boolean;
  /** The verification failure (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID…). */
  authorizationError?: string | undefined;
  protocol: string | undefined;
  cipher: string | undefined;
  certificate?: CertificateFacts | undefined;
  elapsedMs: number;
}

function describeName(name: PeerCertificate['subject'] | undefined): string {
  if (name === undefined || name === null) return '';
  return Object.entries(name)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : String(value)}`)
    .join(', ');
}

function certificateFacts(socket: TLSSocket): CertificateFacts | undefined {
  const cert = socket.getPeerCertificate();
  if (cert === undefined || cert === null || Object.keys(cert).length === 0) return undefined;
  return {
    subject: describeName(cert.subject),
    issuer: describeName(cert.issuer),
    validFrom: cert.valid_from,
    validTo: cert.valid_to,
    subjectAltName: cert.subjectaltname,
    fingerprint256: cert.fingerprint256,
  };
}

export interface TlsProbeOptions {
  host: string;
  port: number;
  /** An already-open socket (a proxy tunnel) to run the handshake over. */
  socket?: Socket | undefined;
  ca?: string | Buffer | Array<string | Buffer> | undefined;
  timeoutMs: number;
}

/**
 * Runs a TLS handshake without failing on a bad certificate, so the certificate can be reported: the result says
 * whether it verified and, if not, why.
 */
export function tlsHandshake(options: TlsProbeOptions): Promise<TlsResult> {
  const started = performance.now();
  const bare = options.host.replace(/^\[|\]$/g, '');
  return withTimeout<TlsResult>(`TLS handshake with ${options.host}:${options.port}`, options.timeoutMs, ({ resolve, reject }) => {
    const socket = tlsConnect({
      ...(options.socket === undefined ? { host: bare, port: options.port } : { socket: options.socket }),
      ...(isIP(bare) === 0 ? { servername: bare } : {}),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    socket.once('secureConnect', () => {
      const cipher = socket.getCipher();
      const result: TlsResult = {
        authorized: socket.authorized,
        authorizationError: socket.authorizationError === null ? undefined : String(socket.authorizationError),
        protocol: socket.getProtocol() ?? undefined,
        cipher: cipher?.name,
        certificate: certificateFacts(socket),
        elapsedMs: performance.now() - started,
      };
      socket.destroy();
      resolve(result);
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(new ProbeError(codeOf(error), `TLS handshake with ${options.host}:${options.port} failed (${codeOf(error)})`));
    });
    return () => {
      socket.destroy();
      options.socket?.destroy();
    };
  });
}
