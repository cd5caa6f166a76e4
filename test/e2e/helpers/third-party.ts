// Shared set-up for the third-party client suites (Vercel AI SDK, LangChain): one emulator, and one gateway in front
// of it whose client tokens each spend the emulator key of the same row, so every test runs the same client code
// twice — against the emulator directly and through the gateway — and expects the same outcome.
import { createGateway } from '../../../src/gateway/index.js';
import type { RunningGateway } from '../../../src/gateway/index.js';
import { KEYS, MODELS, startTestEmulator } from './emulator.js';
import type { Emulator } from './emulator.js';
import type { Faults } from './error-cases.js';

/** One way to reach Together's API: its base URL (ending in /v1) and the bearer to send for an emulator key. */
export interface Target {
  name: 'direct' | 'gateway';
  baseURL: string;
  bearer(key: string): string;
}

/** Gateway client tokens, each spending the emulator key it names. */
const TOKENS: Record<string, string> = {
  [KEYS.main]: 'gw-3p-main',
  [KEYS.unknown]: 'gw-3p-unknown',
  [KEYS.broke]: 'gw-3p-broke',
};

export interface ThirdPartyBench {
  emu: Emulator;
  gateway: RunningGateway;
  targets: Target[];
  /** Runs `work` with `faults` injected, removing them afterwards. */
  withFaults<T>(faults: Faults, work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The faults for the 503 row: the model and the fallback the gateway is configured with both overloaded, so that
 * tether's recovery (retry, then fall back) runs and still ends in Together's 503, as it does direct.
 */
export const BOTH_OVERLOADED: Faults = [
  { kind: 'status', status: 503, rate: 1, model: MODELS.overloaded },
  { kind: 'status', status: 503, rate: 1, model: MODELS.chat },
];

export async function startThirdPartyBench(): Promise<ThirdPartyBench> {
  const emu = await startTestEmulator();
  const gateway = await createGateway(
    {
      port: 0,
      logLevel: 'silent',
      upstream: {
        baseUrl: emu.baseUrl,
        apiKey: KEYS.main,
        keys: [
          { name: 'unknown', apiKey: KEYS.unknown },
          { name: 'broke', apiKey: KEYS.broke },
        ],
      },
      clients: [
        { name: 'main', token: TOKENS[KEYS.main] },
        { name: 'unknown', token: TOKENS[KEYS.unknown], upstreamKey: 'unknown' },
        { name: 'broke', token: TOKENS[KEYS.broke], upstreamKey: 'broke' },
      ],
      routes: { [MODELS.overloaded]: [MODELS.chat] },
      // Retries stay (they are what the gateway adds) but short, so an error row ends within a second.
      policies: { retries: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1500 }, breaker: { threshold: 100 } },
    },
    { env: {} },
  );
  const bearer = (key: string): string => TOKENS[key] ?? `unmapped-${key}`;
  return {
    emu,
    gateway,
    targets: [
      { name: 'direct', baseURL: emu.baseUrl, bearer: (key) => key },
      { name: 'gateway', baseURL: gateway.baseUrl, bearer },
    ],
    async withFaults(faults, work) {
      emu.setFaults(faults);
      try {
        return await work();
      } finally {
        emu.setFaults([]);
      }
    },
    async close() {
      await gateway.close();
      await emu.close();
    },
  };
}

/** What each error row of DESIGN.md's table looks like to a client: the request to make and the status it gets. */
export interface ErrorRow {
  name: string;
  key: string;
  model: string;
  maxTokens?: number;
  faults?: Faults;
  status: number;
}

export const ERROR_ROWS: ErrorRow[] = [
  { name: '401 invalid API key', key: KEYS.unknown, model: MODELS.chat, status: 401 },
  { name: '404 model not found', key: KEYS.main, model: MODELS.unknown, status: 404 },
  { name: '400 model not available (not serverless)', key: KEYS.main, model: MODELS.nonServerless, status: 400 },
  { name: '400 prompt + max_tokens over the context', key: KEYS.main, model: MODELS.smallContext, maxTokens: MODELS.smallContextLength + 1000, status: 400 },
  { name: '402 credit limit exceeded', key: KEYS.broke, model: MODELS.chat, status: 402 },
  // Every answer a 429 (tests in a file run one at a time): the gateway waits out retry-after, retries, then says 429.
  { name: '429 rate limited', key: KEYS.main, model: MODELS.chat, faults: [{ kind: 'status', status: 429, rate: 1, model: MODELS.chat }], status: 429 },
  { name: '503 overloaded', key: KEYS.main, model: MODELS.overloaded, faults: BOTH_OVERLOADED, status: 503 },
];
