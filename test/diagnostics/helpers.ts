// Local servers for the doctor's tests: the emulator, an HTTPS front for it (self-signed certificate made with
// openssl at test time), a CONNECT proxy, a bare "gateway" without rate-limit headers or /whoami, and a closed port.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.js';

export const KEY = 'tgp_v1_doctorTestKey0123456789abcdef';
export const CHAT_MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';

/** The doctor's per-operation limit in tests: generous for a loaded machine; no failure case waits for it. */
export const TEST_TIMEOUT_MS = 20_000;

/** An emulator whose chat model has already answered once (its tokenizer loads on the first request). */
export async function startTestEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const emu = await startEmulator({
    port: 0,
    logLevel: 'silent',
    keys: [{ key: KEY, name: 'main', requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 100 }],
    ...options,
  });
  const key = options.keys?.[0]?.key ?? KEY;
  const warm = await fetch(`${emu.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }),
  });
  await warm.text();
  return emu;
}

/** The environment a doctor run sees: nothing from the real one (no proxy, no key) unless given. */
export function env(vars: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...vars };
}

/** Servers that close every socket they hold when closed. */
function tracked<T extends Server | ReturnType<typeof createNetServer>>(server: T): { server: T; close: () => Promise<void> } {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function listen(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export interface SelfSigned {
  key: string;
  cert: string;
}

/** A certificate for IP 127.0.0.1, self-signed, valid one day; undefined when openssl is not installed. */
export function selfSignedCertificate(): SelfSigned | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'tether-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface LocalServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** An HTTPS server with `tls` that forwards every request to `upstream` (an emulator's url). */
export async function startHttpsFront(tls: SelfSigned, upstream: string): Promise<LocalServer> {
  const target = new URL(upstream);
  const { server, close } = tracked(
    createHttpsServer(tls, (req, res) => {
      const forward = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    }),
  );
  const port = await listen(server);
  return { url: `https://127.0.0.1:${port}`, port, close };
}

/** An HTTP proxy that only tunnels (CONNECT), counting the tunnels it opened. */
export async function startConnectProxy(): Promise<LocalServer & { tunnels: string[] }> {
  const tunnels: string[] = [];
  const { server, close } = tracked(createHttpServer((_req, res) => res.writeHead(405).end()));
  server.on('connect', (req, client: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = netConnect({ host: host ?? '127.0.0.1', port: Number(port) }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    const end = (): void => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', end);
    client.on('error', end);
    client.on('close', end);
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, port, tunnels, close };
}

/** A minimal OpenAI-compatible server: models and chat, no /whoami, no rate-limit headers (like a gateway). */
export async function startBareServer(dateHeader?: string): Promise<LocalServer> {
  const { server, close } = tracked(
    createHttpServer((req, res) => {
      req.resume();
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (dateHeader !== undefined) res.setHeader('date', dateHeader);
      if (req.url === '/v1/models') return res.writeHead(200, headers).end(JSON.stringify([{ id: CHAT_MODEL, object: 'model', type: 'chat' }]));
      if (req.url === '/v1/chat/completions') {
        return res.writeHead(200, headers).end(JSON.stringify({ id: 'c1', object: 'chat.completion', model: CHAT_MODEL, choices: [], usage: { completion_tokens: 1 } }));
      }
      res.writeHead(404, headers).end(JSON.stringify({ error: { message: 'not found' } }));
    }),
  );
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, port, close };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
