// The gateway's JSON-lines logger (pino). Nothing the gateway logs carries a key or token; the redact paths are
// a second line of defence for fields a future log call might add.
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { GatewayLogLevel } from './config.js';

export type { Logger };

const REDACT = ['apiKey', 'token', 'authorization', '*.apiKey', '*.token', '*.authorization', 'headers.authorization'];

/** Logs to stderr (stdout is left to the CLI's own output), buffered off the hot path. */
export function createGatewayLogger(level: GatewayLogLevel): Logger {
  const options = { name: 'tether-gateway', level, base: undefined, redact: { paths: REDACT, censor: '[redacted]' } };
  if (level === 'silent') return pino(options);
  return pino(options, pino.destination({ dest: 2, sync: false }));
}
