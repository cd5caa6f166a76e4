// What the doctor's steps share: the options, and what earlier steps found (the key, the base URL, where to
// connect, the transport, every response seen) for later steps to use.
import type { Dispatcher } from 'undici';
import type { ModelInfo, Transport } from '../../api/index.js';
import type { Catalog } from '../../catalog/index.js';
import type { KeySource } from '../../errors/index.js';
import type { ConnectOptions, ProxySettings } from '../proxy.js';
import type { StepId, StepOutcome, StepResult } from '../types.js';
import type { UserConfig } from '../user-config.js';

export interface DoctorOptions {
  /** `--api-key`: wins over TOGETHER_API_KEY and the config file. */
  apiKey?: string | undefined;
  /** `--base-url`: wins over TOGETHER_BASE_URL and the config file. */
  baseUrl?: string | undefined;
  /** `--config`: a JSON or YAML file (the gateway's config, or `{ models: [...] }`). */
  configPath?: string | undefined;
  /** Limit for each network operation, ms (default 10 s). */
  timeoutMs?: number | undefined;
  /** The model for the one-token completion (default: the cheapest serverless chat model listed). */
  model?: string | undefined;
  /** Timed requests for the latency step (default 3). */
  latencySamples?: number | undefined;
  /** Environment to read TOGETHER_API_KEY, TOGETHER_BASE_URL and the proxy variables from (default process.env). */
  env?: NodeJS.ProcessEnv | undefined;
  /** Extra trusted CA certificates (PEM). Users set NODE_EXTRA_CA_CERTS instead; this is for embedding and tests. */
  ca?: ConnectOptions['ca'];
  /** Wall clock, ms (default Date.now). */
  now?: (() => number) | undefined;
  /** Told about each step as it finishes (progress output). */
  onStep?: ((result: StepResult) => void) | undefined;
}

export interface SeenResponse {
  path: string;
  status: number;
  headers: Record<string, string>;
  /** Local wall-clock times around the request. */
  sentAt: number;
  receivedAt: number;
  date?: string | undefined;
}

export interface DoctorContext {
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly options: DoctorOptions;
  readonly now: () => number;
  config?: UserConfig | undefined;
  key?: { value: string; source: KeySource; where: string } | undefined;
  target?: { url: URL; href: string; source: string } | undefined;
  proxy?: { settings: ProxySettings; proxy: string | undefined } | undefined;
  /** Where TCP connections go: the API host, or the proxy. */
  connect?: { host: string; port: number; viaProxy: boolean } | undefined;
  dispatcher?: Dispatcher | undefined;
  transport?: Transport | undefined;
  modelList?: ModelInfo[] | undefined;
  catalog?: Catalog | undefined;
  /** True when /whoami answered 200 (the latency step then times it: it is smaller than /models). */
  whoamiAnswered: boolean;
  responses: SeenResponse[];
  /** Headers of the completion's response (which carry the rate limits on Together and the emulator). */
  completionHeaders?: Record<string, string> | undefined;
}

export interface DoctorStep {
  id: StepId;
  title: string;
  /** Steps that must not have failed (or been blocked) for this one to run. */
  needs: readonly StepId[];
  run(ctx: DoctorContext): Promise<StepOutcome>;
}

/** Shorthands for outcomes. */
export const pass = (summary: string, extra: Partial<StepOutcome> = {}): StepOutcome => ({ status: 'pass', summary, ...extra });
export const warn = (summary: string, fix: string, extra: Partial<StepOutcome> = {}): StepOutcome => ({ status: 'warn', summary, fix, ...extra });
export const fail = (summary: string, fix: string, extra: Partial<StepOutcome> = {}): StepOutcome => ({ status: 'fail', summary, fix, ...extra });
export const skip = (summary: string, extra: Partial<StepOutcome> = {}): StepOutcome => ({ status: 'skip', summary, ...extra });

export function ms(value: number): string {
  return `${Math.round(value)} ms`;
}
