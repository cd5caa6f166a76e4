// `tether gateway`: the pipeline behind an OpenAI-compatible endpoint, until Ctrl+C. Parsing and output only;
// src/gateway does the work.
import type { Command } from 'commander';
import { DEFAULT_GATEWAY_PORT, GatewayConfigError } from '../../gateway/index.js';
import { startGatewayService } from '../gateway-service.js';
import type { GatewayService } from '../gateway-service.js';
import type { GatewayLogLevel } from '../../gateway/index.js';
import { UsageError } from '../exit-codes.js';
import { untilSignal } from '../signals.js';

interface GatewayCliOptions {
  port?: string;
  emulatorPort?: string;
  host?: string;
  config?: string;
  redis?: string;
  logLevel?: string;
  json?: boolean;
}

const LOG_LEVELS: readonly GatewayLogLevel[] = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'];

function parsePort(raw: string, flag = '--port'): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value > 65535) throw new UsageError(`${flag} must be an integer from 0 to 65535, not "${raw}"`);
  return value;
}

function parseLogLevel(raw: string): GatewayLogLevel {
  if (!LOG_LEVELS.includes(raw as GatewayLogLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not "${raw}"`);
  return raw as GatewayLogLevel;
}

async function start(opts: GatewayCliOptions): Promise<GatewayService> {
  try {
    return await startGatewayService({
      configFile: opts.config,
      port: opts.port !== undefined ? parsePort(opts.port) : undefined,
      emulatorPort: opts.emulatorPort !== undefined ? parsePort(opts.emulatorPort, '--emulator-port') : undefined,
      host: opts.host,
      redis: opts.redis,
      logLevel: opts.logLevel !== undefined ? parseLogLevel(opts.logLevel) : undefined,
    });
  } catch (error) {
    if (error instanceof GatewayConfigError) throw new UsageError(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${opts.port ?? DEFAULT_GATEWAY_PORT} is already in use; pass --port with a free port (or 0 for any)`);
    if (code === 'EADDRNOTAVAIL') throw new UsageError(`cannot bind ${opts.host ?? ''}: no such local address; use --host 127.0.0.1`);
    throw error;
  }
}

export function registerGateway(program: Command): void {
  program
    .command('gateway')
    .description('Serve an OpenAI-compatible endpoint (/v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models) with every request through the pipeline')
    .option('--port <port>', `port to listen on (default ${DEFAULT_GATEWAY_PORT}; 0 = any free port)`)
    .option('--host <host>', 'interface to bind (default 127.0.0.1; any other needs client tokens in the config)')
    .option('--emulator-port <port>', 'port of the built-in emulator, started when no Together key is set (default: any free port)')
    .option('--config <file>', 'JSON or YAML config: upstream keys, aliases, routes, policies, clients, limits (reloaded on change)')
    .option('--redis <url>', 'share pacing budgets with other gateways through this Redis (redis://host:6379)')
    .option('--log-level <level>', 'JSON request logs on stderr: silent, error, warn, info, debug (default info)')
    .option('--json', 'print the first line as JSON {url, baseUrl, upstream, emulator}')
    .addHelpText(
      'after',
      '\nWithout TOGETHER_API_KEY (or a key in the config) the upstream is the built-in emulator.\n\nExamples:\n  tether gateway\n  OPENAI_BASE_URL=http://127.0.0.1:8787/v1 node my-app.js\n  tether gateway --host 0.0.0.0 --config gateway.yaml --redis redis://127.0.0.1:6379',
    )
    .action(async (opts: GatewayCliOptions) => {
      const service = await start(opts);
      const { gateway, emulator } = service;
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ url: gateway.url, baseUrl: gateway.baseUrl, upstream: gateway.config.upstream.baseUrl, emulator: emulator !== undefined })}\n`,
        );
      } else {
        process.stdout.write(`${service.firstLine}\n`);
        process.stdout.write(`health: ${gateway.url}/healthz  metrics: ${gateway.url}/metrics  Ctrl+C to stop\n`);
      }
      await untilSignal();
      await service.close();
    });
}
