// Starts a throwaway redis-server on a free loopback port for a test, and stops it after.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { after, before } from 'node:test';
import { Redis } from 'ioredis';

export const REDIS_BINARY = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';

export function redisAvailable(): boolean {
  return existsSync(REDIS_BINARY);
}

/** A test's `skip` option: why Redis tests cannot run here, or false when redis-server is installed. */
export const REDIS_SKIP: string | false = redisAvailable()
  ? false
  : `redis-server not found at ${REDIS_BINARY} (install redis-server or set REDIS_SERVER_BIN)`;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface TestRedis {
  url: string;
  /** A new client, connected and ready (the store sends to its in-memory insurance while a client is not). */
  client(): Promise<Redis>;
  /** Kills the server only (clients stay, as after a Redis crash). */
  kill(): Promise<void>;
  /** Closes every client, then the server. */
  stop(): Promise<void>;
}

/** A server on a free port, or on `port` (to bring one back where clients already try to reconnect). */
export async function startRedis(options: { port?: number } = {}): Promise<TestRedis> {
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn(REDIS_BINARY, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const clients: Redis[] = [];
  const url = `redis://127.0.0.1:${port}`;
  const kill = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  const stop = async (): Promise<void> => {
    await Promise.all(clients.map((c) => (c.status === 'ready' ? c.quit().catch(() => c.disconnect()) : c.disconnect())));
    await kill();
  };
  // Wait until it accepts connections (a few ms; give up after 5 s).
  const deadline = Date.now() + 5_000;
  while (!(await accepts(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`redis-server (${REDIS_BINARY}) did not start on 127.0.0.1:${port}.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    url,
    async client() {
      // A short disconnectTimeout: after a crash ioredis otherwise keeps a 2 s timer for a socket that already closed.
      const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true, disconnectTimeout: 50 });
      clients.push(client);
      await client.connect();
      return client;
    },
    kill,
    stop,
  };
}

/** One server for a test file: started before its tests (unless Redis is skipped), stopped after them. */
export function redisForFile(): { readonly server: TestRedis } {
  let server: TestRedis | undefined;
  before(async () => {
    if (!REDIS_SKIP) server = await startRedis();
  });
  after(async () => {
    await server?.stop();
  });
  return {
    get server(): TestRedis {
      if (server === undefined) throw new Error('the Redis server is not started (before() has not run, or Redis is skipped)');
      return server;
    },
  };
}
