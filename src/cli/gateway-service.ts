// What `tether gateway` runs: the config file (reloaded when it changes) with the command-line flags over it,
// and — when there is no Together key anywhere — the built-in emulator as upstream, said on the first line.
// CLI wiring, not the gateway's: the gateway module must not import the emulator (DESIGN.md), the CLI may.
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { RunningEmulator } from '../emulator/index.js';
import { GatewayConfigError, createGateway, createGatewayLogger, createJournaledPipeline, loadGatewayConfigFile, resolveGatewayConfig } from '../gateway/index.js';
import type { GatewayFileConfig, GatewayLogLevel, GatewayLogger, PipelineFactory, RunningGateway } from '../gateway/index.js';

export interface GatewayRunOptions {
  /** JSON or YAML config; watched and reloaded on change. */
  configFile?: string | undefined;
  /** Flags: each wins over the file. */
  port?: number | undefined;
  host?: string | undefined;
  /** The built-in emulator's port (used only when no Together key is configured); over the file's `emulator.port`. */
  emulatorPort?: number | undefined;
  redis?: string | undefined;
  logLevel?: GatewayLogLevel | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  logger?: GatewayLogger | undefined;
  pipelineFactory?: PipelineFactory | undefined;
  /** Quiet time after the last change to the file before it is reloaded. Default 200 ms. */
  reloadDebounceMs?: number | undefined;
}

export interface GatewayService {
  gateway: RunningGateway;
  /** The in-process emulator when no Together key was configured. */
  emulator?: RunningEmulator | undefined;
  /** What the CLI prints first: where the gateway listens and what its upstream is. */
  firstLine: string;
  close(): Promise<void>;
}

type Flags = Pick<GatewayRunOptions, 'port' | 'host' | 'redis' | 'logLevel'>;

/** The file's config with the flags over it and, in emulator mode, the emulator as upstream. */
function assemble(file: GatewayFileConfig, flags: Flags, emulator: RunningEmulator | undefined, env: NodeJS.ProcessEnv): GatewayFileConfig {
  const merged: GatewayFileConfig = { ...file };
  if (flags.port !== undefined) merged.port = flags.port;
  if (flags.host !== undefined) merged.host = flags.host;
  if (flags.redis !== undefined) merged.redis = flags.redis;
  if (flags.logLevel !== undefined) merged.logLevel = flags.logLevel;
  if (emulator && !hasUpstreamKey(merged, env)) {
    merged.upstream = { ...merged.upstream, baseUrl: emulator.baseUrl, apiKey: emulator.config.keys[0]?.key };
  }
  return merged;
}

function hasUpstreamKey(file: GatewayFileConfig, env: NodeJS.ProcessEnv): boolean {
  return resolveGatewayConfig(file, env).upstream.keySource !== undefined;
}

function readFile(path: string | undefined): GatewayFileConfig {
  return path === undefined ? {} : loadGatewayConfigFile(path);
}

/** Calls `onChange` once the file has been quiet for `debounceMs` after a change (editors write in bursts). */
function watchFile(path: string, debounceMs: number, onChange: () => void): FSWatcher {
  const file = basename(path);
  let timer: NodeJS.Timeout | undefined;
  // The directory, not the file: editors that save by rename would leave a file watcher on the old inode.
  const watcher = watch(dirname(resolve(path)), { persistent: false }, (_event, name) => {
    if (name !== null && name !== file) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  });
  watcher.on('close', () => clearTimeout(timer));
  return watcher;
}

/** Loaded only when needed, so other commands (and gateways with a key) never load the emulator. */
async function startBuiltInEmulator(port: number): Promise<RunningEmulator> {
  const { startEmulator } = await import('../emulator/index.js');
  try {
    return await startEmulator({ port, host: '127.0.0.1', logLevel: 'silent' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new GatewayConfigError(`the built-in emulator's port ${port} is already in use; pass --emulator-port with a free port (or 0 for any), or set emulator.port in the config`);
    }
    throw error;
  }
}

export async function startGatewayService(options: GatewayRunOptions = {}): Promise<GatewayService> {
  const env = options.env ?? process.env;
  const flags: Flags = { port: options.port, host: options.host, redis: options.redis, logLevel: options.logLevel };
  const initial = readFile(options.configFile);
  const needsEmulator = !hasUpstreamKey(assemble(initial, flags, undefined, env), env);
  const emulator = needsEmulator ? await startBuiltInEmulator(options.emulatorPort ?? initial.emulator?.port ?? 0) : undefined;
  const input = assemble(initial, flags, emulator, env);
  const log = options.logger ?? createGatewayLogger(resolveGatewayConfig(input, env).logLevel);
  let gateway: RunningGateway;
  try {
    const pipelineFactory = options.pipelineFactory ?? ((settings) => createJournaledPipeline(settings, env));
    gateway = await createGateway(input, { env, logger: log, pipelineFactory });
  } catch (error) {
    await emulator?.close();
    throw error;
  }

  let watcher: FSWatcher | undefined;
  const configFile = options.configFile;
  if (configFile !== undefined) {
    const reload = (): void => {
      let next: GatewayFileConfig;
      try {
        next = assemble(readFile(configFile), flags, emulator, env);
      } catch (error) {
        log.error({ file: configFile, error: (error as Error).message }, 'config change rejected; the old config stays in force');
        return;
      }
      gateway.reload(next).then(
        () => log.info({ file: configFile }, 'config file reloaded'),
        (error: unknown) => {
          const message = error instanceof GatewayConfigError ? error.message : String(error);
          log.error({ file: configFile, error: message }, 'config change rejected; the old config stays in force');
        },
      );
    };
    watcher = watchFile(configFile, options.reloadDebounceMs ?? 200, reload);
  }

  const config = gateway.config;
  const upstream = emulator
    ? `no TOGETHER_API_KEY, so upstream is the built-in emulator at ${emulator.baseUrl} (generated answers; set TOGETHER_API_KEY to use Together)`
    : `upstream ${config.upstream.baseUrl} (key from ${config.upstream.keyOrigin})`;
  const firstLine = `tether gateway: ${gateway.baseUrl} \u2014 ${upstream}`;

  let closed: Promise<void> | undefined;
  return {
    gateway,
    emulator,
    firstLine,
    close() {
      closed ??= (async () => {
        watcher?.close();
        await gateway.close({ graceMs: 5_000 });
        await emulator?.close();
      })();
      return closed;
    },
  };
}
