// Clock skew from a server's `Date` header: the header has one-second resolution and the request takes time,
// so the estimate comes with its uncertainty, and only skews clearly beyond it count.

export interface TimedResponse {
  /** Local wall-clock time (ms) the request was sent and its headers received. */
  sentAt: number;
  receivedAt: number;
  /** The response's `Date` header, if any. */
  date?: string | undefined;
}

export interface SkewEstimate {
  /** Server time minus local time, ms: positive when the local clock is behind. */
  skewMs: number;
  /** How far off the estimate may be (half the round trip plus the header's rounding). */
  uncertaintyMs: number;
}

/** The estimate from the sample with the shortest round trip; undefined when no response had a usable Date. */
export function estimateSkew(samples: readonly TimedResponse[]): SkewEstimate | undefined {
  let best: SkewEstimate | undefined;
  for (const sample of samples) {
    if (sample.date === undefined) continue;
    const server = Date.parse(sample.date);
    if (Number.isNaN(server)) continue;
    const roundTrip = Math.max(0, sample.receivedAt - sample.sentAt);
    // The header truncates to the second: the server's clock read somewhere in [server, server + 1000).
    const skewMs = server + 500 - (sample.sentAt + roundTrip / 2);
    const uncertaintyMs = 500 + roundTrip / 2;
    if (best === undefined || uncertaintyMs < best.uncertaintyMs) best = { skewMs, uncertaintyMs };
  }
  return best;
}

/** Beyond this the clock is worth fixing (reset times and certificate dates are read against it). */
export const SKEW_WARN_MS = 5_000;
/** Beyond this, certificate validity and Unix-time reset headers are misread: a failure. */
export const SKEW_FAIL_MS = 5 * 60_000;

export function judgeSkew(estimate: SkewEstimate): 'pass' | 'warn' | 'fail' {
  const beyond = Math.abs(estimate.skewMs) - estimate.uncertaintyMs;
  if (beyond > SKEW_FAIL_MS) return 'fail';
  if (beyond > SKEW_WARN_MS) return 'warn';
  return 'pass';
}
