// The gateway's JSON-lines logger (pino). Log calls pass only named fields, never a header, key or token, so no
// redaction pass is needed on the hot path; tests check that no secret reaches the log.
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { GatewayLogLevel } from './config.js';

export type { Logger };

/** How long a log line may wait in the buffer before it is written anyway. */
const FLUSH_INTERVAL_MS = 500;

/**
 * Logs to stderr (stdout is left to the CLI's own output). Lines are buffered (up to 8 KB or half a second), so a
 * busy gateway writes its log in a few large writes instead of one syscall per request.
 */
export function createGatewayLogger(level: GatewayLogLevel): Logger {
  const options = { name: 'tether-gateway', level, base: undefined };
  if (level === 'silent') return pino(options);
  const destination = pino.destination({ dest: 2, sync: false, minLength: 8192 });
  const timer = setInterval(() => {
    try {
      destination.flush();
    } catch {
      // not open yet: the next tick writes it
    }
  }, FLUSH_INTERVAL_MS);
  timer.unref();
  // Whatever is still buffered when the process ends is written before it goes.
  process.once('exit', () => {
    clearInterval(timer);
    try {
      destination.flushSync();
    } catch {
      // nothing left to write to
    }
  });
  return pino(options, destination);
}
