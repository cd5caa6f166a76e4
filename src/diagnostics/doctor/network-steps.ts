// DNS, TCP and TLS: each layer on its own, so a failure names the layer that broke.
import { ProbeError, connectTcp, openTunnel, resolveHost, tlsHandshake, type TlsResult } from '../probes.js';
import { withoutCredentials } from '../proxy.js';
import { fail, ms, pass, skip, warn, type DoctorStep } from './context.js';

function probeCode(error: unknown): string {
  return error instanceof ProbeError ? error.code : ((error as { code?: string } | null)?.code ?? 'UNKNOWN');
}

const DNS_FIXES: Record<string, string> = {
  ENOTFOUND: 'No such host: check the host name in the base URL (--base-url, TOGETHER_BASE_URL or the config) for a typo.',
  EAI_AGAIN: 'The DNS server did not answer: check the network connection, VPN and /etc/resolv.conf, then retry.',
  ETIMEDOUT: 'The DNS lookup timed out: check the network connection and the DNS server.',
};

export const dnsStep: DoctorStep = {
  id: 'dns',
  title: 'DNS',
  needs: ['base_url', 'proxy'],
  async run(ctx) {
    const connect = ctx.connect;
    if (connect === undefined) return skip('nothing to resolve');
    const what = connect.viaProxy ? `the proxy host ${connect.host}` : connect.host;
    try {
      const result = await resolveHost(connect.host, ctx.timeoutMs);
      const addresses = result.addresses.map((a) => a.address);
      const list = addresses.slice(0, 4).join(', ') + (addresses.length > 4 ? `, +${addresses.length - 4} more` : '');
      const details = connect.viaProxy ? [`the proxy resolves ${ctx.target?.url.hostname ?? 'the API host'} itself`] : undefined;
      const data = { host: connect.host, addresses };
      if (result.elapsedMs === 0) return pass(`${what} is an IP address: no lookup needed`, { details, data });
      return pass(`${what} → ${list} (${ms(result.elapsedMs)})`, { details, data });
    } catch (error) {
      const code = probeCode(error);
      return fail(`DNS lookup of ${what} failed (${code})`, DNS_FIXES[code] ?? 'Check the host name and your DNS settings.', { data: { host: connect.host, code } });
    }
  },
};

const TCP_FIXES: Record<string, (where: string, viaProxy: boolean) => string> = {
  ECONNREFUSED: (where, viaProxy) =>
    viaProxy
      ? `Nothing accepts connections at the proxy ${where}: check HTTPS_PROXY / HTTP_PROXY, or that the proxy is running.`
      : `Nothing is listening on ${where}: check the port in the base URL; for a local gateway or emulator, start it first (tether gateway / tether emulator).`,
  ETIMEDOUT: (where) => `No answer from ${where}: a firewall may be dropping the connection; check outbound access to that port (or set HTTPS_PROXY if you must use a proxy).`,
  EHOSTUNREACH: (where) => `No route to ${where}: check the network connection and VPN.`,
  ENETUNREACH: (where) => `No route to ${where}: check the network connection and VPN.`,
};

export const tcpStep: DoctorStep = {
  id: 'tcp',
  title: 'TCP connect',
  needs: ['dns'],
  async run(ctx) {
    const connect = ctx.connect;
    if (connect === undefined) return skip('nothing to connect to');
    const where = `${connect.host}:${connect.port}`;
    try {
      const result = await connectTcp(connect.host, connect.port, ctx.timeoutMs);
      return pass(`connected to ${connect.viaProxy ? 'the proxy at ' : ''}${where}${result.remoteAddress && result.remoteAddress !== connect.host ? ` (${result.remoteAddress})` : ''} in ${ms(result.elapsedMs)}`, {
        data: { host: connect.host, port: connect.port, viaProxy: connect.viaProxy, elapsedMs: Math.round(result.elapsedMs) },
      });
    } catch (error) {
      const code = probeCode(error);
      const fix = TCP_FIXES[code]?.(where, connect.viaProxy) ?? `Check that ${where} is reachable from this machine.`;
      return fail(`TCP connect to ${connect.viaProxy ? 'the proxy at ' : ''}${where} failed (${code})`, fix, { data: { host: connect.host, port: connect.port, code } });
    }
  },
};

const UNTRUSTED = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);

/** Why a certificate did not verify, and what to do, from the verification code. */
function untrustedVerdict(code: string, host: string, result: TlsResult): { summary: string; fix: string } {
  const cert = result.certificate;
  if (UNTRUSTED.has(code)) {
    return {
      summary: `the certificate for ${host} is not signed by a trusted CA (${code}${cert ? `; issuer ${cert.issuer || 'unknown'}` : ''})`,
      fix: "If a corporate proxy or antivirus re-signs TLS traffic, get its CA certificate from IT and run with NODE_EXTRA_CA_CERTS=/path/to/ca.pem. Never disable certificate checks.",
    };
  }
  if (code === 'CERT_HAS_EXPIRED') {
    return { summary: `the certificate for ${host} expired (${cert?.validTo ?? 'date unknown'})`, fix: 'Check the system clock first (see the clock step); if it is right, the server (or a proxy in between) serves an expired certificate.' };
  }
  if (code === 'CERT_NOT_YET_VALID') {
    return { summary: `the certificate for ${host} is not valid until ${cert?.validFrom ?? 'later'}`, fix: 'The system clock is probably behind: sync it (timedatectl set-ntp true, or your OS time settings).' };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code.includes('ALTNAME') || code.includes('HOSTNAME')) {
    return {
      summary: `the certificate is not for ${host} (${code}; it covers ${cert?.subjectAltName ?? cert?.subject ?? 'other names'})`,
      fix: 'Check the host in the base URL; if a proxy intercepts TLS, see its CA note above.',
    };
  }
  return { summary: `the certificate for ${host} did not verify (${code})`, fix: 'Check the base URL, any TLS-intercepting proxy, and NODE_EXTRA_CA_CERTS.' };
}

const EXPIRY_WARN_DAYS = 14;

export const tlsStep: DoctorStep = {
  id: 'tls',
  title: 'TLS',
  needs: ['tcp'],
  async run(ctx) {
    const target = ctx.target;
    if (target === undefined || ctx.connect === undefined) return skip('nothing to check');
    if (target.url.protocol !== 'https:') return skip('http base URL: no TLS');
    const host = target.url.hostname;
    const port = Number(target.url.port) || 443;
    const proxy = ctx.proxy?.proxy;
    if (proxy !== undefined && new URL(proxy).protocol !== 'http:') {
      return skip(`not probed through the https:// proxy ${withoutCredentials(proxy)}; the GET /models step tests that path`);
    }
    const details: string[] = [];
    const extraCa = ctx.env['NODE_EXTRA_CA_CERTS'];
    if (extraCa !== undefined && extraCa !== '') details.push(`NODE_EXTRA_CA_CERTS=${extraCa} (trusted in addition to Node's CAs)`);
    let result: TlsResult;
    try {
      const socket = proxy === undefined ? undefined : await openTunnel(proxy, host, port, ctx.timeoutMs);
      result = await tlsHandshake({ host, port, socket, ca: ctx.options.ca, timeoutMs: ctx.timeoutMs });
    } catch (error) {
      const code = probeCode(error);
      const fix =
        code.startsWith('PROXY_')
          ? `The proxy refused to tunnel to ${host}:${port}: check its access rules and credentials (in HTTPS_PROXY as http://user:pass@host:port).`
          : `Check that ${host}:${port} speaks TLS (is the base URL's scheme right: https vs http?).`;
      return fail(`TLS handshake with ${host}:${port} failed (${code})`, fix, { details, data: { code } });
    }
    const cert = result.certificate;
    if (cert !== undefined) details.push(`certificate: ${cert.subject || '(no subject)'}; issuer: ${cert.issuer || '(none)'}; valid ${cert.validFrom} → ${cert.validTo}`);
    const data = {
      protocol: result.protocol,
      cipher: result.cipher,
      authorized: result.authorized,
      authorizationError: result.authorizationError,
      certificate: cert,
      elapsedMs: Math.round(result.elapsedMs),
    };
    if (!result.authorized) {
      const verdict = untrustedVerdict(result.authorizationError ?? 'UNKNOWN', host, result);
      return fail(verdict.summary, verdict.fix, { details, data });
    }
    const daysLeft = cert === undefined ? undefined : Math.floor((Date.parse(cert.validTo) - ctx.now()) / 86_400_000);
    const said = `${result.protocol ?? 'TLS'} with ${host}, certificate verified${daysLeft === undefined ? '' : `, expires in ${daysLeft} days`} (${ms(result.elapsedMs)})`;
    if (ctx.env['NODE_TLS_REJECT_UNAUTHORIZED'] === '0') {
      return warn(`${said}, but NODE_TLS_REJECT_UNAUTHORIZED=0 turns certificate checks off for every connection`, 'Unset NODE_TLS_REJECT_UNAUTHORIZED; trust a private CA with NODE_EXTRA_CA_CERTS instead.', { details, data });
    }
    if (daysLeft !== undefined && daysLeft < EXPIRY_WARN_DAYS) {
      return warn(said, 'The certificate expires soon; if it is a proxy’s, tell whoever runs it.', { details, data });
    }
    return pass(said, { details, data });
  },
};
