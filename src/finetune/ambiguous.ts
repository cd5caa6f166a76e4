// Side-effecting calls (upload, fine-tune create, batch create) are never sent twice blindly. When one fails in a
// way that leaves its outcome unknown — a timeout or a dropped connection after the body went out — the caller
// looks (lists files / jobs / batches) for what the call may have created before deciding: found, it is the answer;
// not found, the error says nothing was created and sending again is safe.
import { TogetherError } from '../errors/index.js';

/** Errors where the request may have reached Together and been acted on. */
export function isAmbiguousFailure(error: unknown): error is TogetherError {
  if (!(error instanceof TogetherError)) return false;
  if (error.category === 'timeout') return true;
  // A connection that was never made sent nothing: not ambiguous.
  const code = typeof error.details?.['code'] === 'string' ? error.details['code'] : undefined;
  return error.category === 'network' && code !== 'ECONNREFUSED' && code !== 'ENOTFOUND' && code !== 'EAI_AGAIN';
}

/** Objects created on or after this time (seconds or ISO) count as the call's: a little slack for clock skew. */
export const CREATED_SLACK_MS = 5_000;

/** Whether `createdAt` (ISO text or Unix seconds) is no earlier than `startedAt` (ms) minus the slack. */
export function createdSince(createdAt: string | number | null | undefined, startedAt: number): boolean {
  if (createdAt === undefined || createdAt === null) return false;
  const ms = typeof createdAt === 'number' ? createdAt * 1000 : Date.parse(createdAt);
  return Number.isFinite(ms) && ms >= startedAt - CREATED_SLACK_MS;
}

/** The failure after a look that found nothing: says nothing was created and a retry is safe. */
export function nothingCreatedError(what: string, objects: string, listCommand: string, original: TogetherError): TogetherError {
  return new TogetherError({
    ...original.toJSON(),
    message: `The ${what} request failed after its body was sent (${original.message}), and nothing was created.`,
    cause: `The answer never arrived (${original.category}); tether then listed this account's ${objects} and found none made by this call.`,
    fix: `Nothing was created, so sending the same request again is safe (check with \`${listCommand}\` if in doubt).`,
    retryable: true,
    original,
  });
}

/** The failure when the look itself failed: the outcome is unknown and a blind retry could duplicate. */
export function outcomeUnknownError(what: string, objects: string, listCommand: string, original: TogetherError, lookup: unknown): TogetherError {
  const why = lookup instanceof Error ? lookup.message : String(lookup);
  return new TogetherError({
    ...original.toJSON(),
    message: `The ${what} request failed after its body was sent (${original.message}); whether it was created is unknown.`,
    cause: `Listing this account's ${objects} to find out failed too: ${why}`,
    fix: `Run \`${listCommand}\` before sending it again: a blind retry could create it twice.`,
    retryable: false,
    original,
  });
}
