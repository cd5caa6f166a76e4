// `tether emulator`: run the local Together API until Ctrl+C. Parsing and output only; src/emulator does the work.
import type { Command } from 'commander';
import { EmulatorConfigError, FAULT_SPEC_SYNTAX, loadEmulatorConfigFile, loadScenarioFile, parseFaultSpec, startEmulator } from '../../emulator/index.js';
import type { EmulatorFileConfig, EmulatorLogLevel, RunningEmulator, Scenario } from '../../emulator/index.js';
import { UsageError } from '../exit-codes.js';
import { printOut } from '../output.js';
import { untilSignal } from '../signals.js';

interface EmulatorCliOptions {
  port?: string;
  host?: string;
  config?: string;
  seed?: string;
  fault?: string[];
  scenario?: string;
  logLevel?: string;
  json?: boolean;
}

const DEFAULT_CLI_PORT = 4010;
const LOG_LEVELS: readonly EmulatorLogLevel[] = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'];

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function parseInteger(flag: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, not "${raw}"`);
  }
  return value;
}

/** Flags over the config file over the CLI's defaults (port 4010, info logs). */
function buildOptions(opts: EmulatorCliOptions): EmulatorFileConfig {
  const file = opts.config ? loadEmulatorConfigFile(opts.config) : {};
  const logLevel = opts.logLevel ?? file.logLevel ?? 'info';
  if (!LOG_LEVELS.includes(logLevel as EmulatorLogLevel)) {
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not "${logLevel}"`);
  }
  return {
    ...file,
    port: opts.port !== undefined ? parseInteger('--port', opts.port, 0, 65535) : (file.port ?? DEFAULT_CLI_PORT),
    host: opts.host ?? file.host ?? '127.0.0.1',
    ...(opts.seed !== undefined ? { seed: parseInteger('--seed', opts.seed, -(2 ** 31), 2 ** 32) } : {}),
    faults: [...(file.faults ?? []), ...(opts.fault ?? []).map(parseFaultSpec)],
    logLevel: logLevel as EmulatorLogLevel,
  };
}

function firstLine(emulator: RunningEmulator, json: boolean): string {
  const [first, ...others] = emulator.config.keys;
  const apiKey = first?.key ?? '';
  if (json) {
    return JSON.stringify({ baseUrl: emulator.baseUrl, apiKey, keys: emulator.config.keys.map((k) => k.name), admin: `${emulator.url}/_emulator` });
  }
  const more = others.length ? ` (+${others.length} more key${others.length > 1 ? 's' : ''} from the config)` : '';
  return `Together API emulator: TOGETHER_BASE_URL=${emulator.baseUrl} TOGETHER_API_KEY=${apiKey}${more}`;
}

async function runEmulator(opts: EmulatorCliOptions): Promise<void> {
  let emulator: RunningEmulator;
  let options: EmulatorFileConfig | undefined;
  let scenario: Scenario | undefined;
  try {
    options = buildOptions(opts);
    scenario = opts.scenario === undefined ? undefined : loadScenarioFile(opts.scenario);
    emulator = await startEmulator({ ...options, ...(scenario ? { scenario } : {}) });
  } catch (error) {
    if (error instanceof EmulatorConfigError) throw new UsageError(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    // The port and host actually tried: a config file's `port`/`host` when no flag was given.
    if (code === 'EADDRINUSE') throw new UsageError(`port ${options?.port ?? DEFAULT_CLI_PORT} is already in use; pass --port with a free port (or 0 for any)`);
    if (code === 'EADDRNOTAVAIL') throw new UsageError(`cannot bind ${options?.host ?? ''}: no such local address; use --host 127.0.0.1`);
    throw error;
  }
  printOut(`${firstLine(emulator, opts.json === true)}\n`);
  if (!opts.json) {
    const faults = emulator.config.faults.length;
    printOut(`admin: ${emulator.url}/_emulator/{stats,faults,credits,reset}; ${faults} fault${faults === 1 ? '' : 's'} active; Ctrl+C to stop\n`);
    if (scenario) {
      const length = scenario.durationMs === undefined ? 'until stopped' : `${scenario.durationMs / 1000} s${scenario.loop ? ', looping' : ''}`;
      printOut(`scenario "${scenario.name}": ${scenario.events.length} event${scenario.events.length === 1 ? '' : 's'}, ${length}; started now\n`);
    }
  }
  await untilSignal();
  await emulator.close();
}

export function registerEmulator(program: Command): void {
  program
    .command('emulator')
    .description('Run a local Together API (same paths, error bodies, rate-limit headers and SSE) with fault injection')
    .option('--port <port>', `port to listen on (default ${DEFAULT_CLI_PORT}; 0 = any free port)`)
    .option('--host <host>', 'interface to bind (default 127.0.0.1)')
    .option('--config <file>', 'JSON or YAML config: seed, keys, faults, models, latencyMs')
    .option('--seed <n>', 'seed for generated text, ids and fault draws (default 42)')
    .option('--fault <spec>', 'inject a fault; repeat for more (syntax below)', collect)
    .option('--scenario <file>', 'play a JSON or YAML scenario of capacity changes and faults over time, from start-up (docs/emulator-scenarios.md)')
    .option('--log-level <level>', 'JSON request logs on stderr: silent, error, warn, info, debug (default info)')
    .option('--json', 'print the first line as JSON {baseUrl, apiKey, keys, admin}')
    .addHelpText('after', `\n${FAULT_SPEC_SYNTAX}\n\nExamples:\n  tether emulator --fault status=503,rate=0.3,model=meta-llama/Llama-3.3-70B-Instruct-Turbo\n  tether emulator --port 0 --fault stream_cut=3 --fault credits=100\n  tether emulator --config examples/scenarios/emulator.yaml --scenario examples/scenarios/incident.yaml`)
    .action(async (opts: EmulatorCliOptions) => {
      try {
        await runEmulator(opts);
      } catch (error) {
        if (error instanceof EmulatorConfigError) throw new UsageError(error.message);
        throw error;
      }
    });
}
