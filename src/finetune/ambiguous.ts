// Side-effecting calls (upload, fine-tune create, batch create) are never sent twice blindly. When one fails in a
// way that leaves its outcome unknown — a timeout or a dropped connection after the body went out — the caller
// looks (lists files / jobs / batches) for what the call may have created before deciding: found, it is the answer;
// not found, the error says nothing was created and sending again is safe.
import { TogetherError } from '../errors/index.js';

export { nothingCreatedError, outcomeUnknownError } from '../errors/index.js';

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


