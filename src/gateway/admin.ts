// The gateway's admin endpoint: `POST /admin/keys/resume` resumes at once every upstream key a 402 stopped (here
// and, with `redis`, on every gateway and `tether run` worker sharing it) — for when credit was added and waiting
// for the next probe is not wanted. Only with the config's `adminToken` (never a client token); without one it is
// off (404), so no config grows an admin surface by accident.
import { timingSafeEqual } from 'node:crypto';
import { bearerToken } from './clients.js';
import { gatewayErrorReply, unknownPath } from './envelope.js';
import type { Exchange } from './exchange.js';
import { sendError, sendJson } from './http.js';

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Checks the admin token, then resumes (the caller's `resumeAll`) and says whether any key was stopped. */
export function handleResumeKeys(ex: Exchange, adminToken: string | undefined, resumeAll: () => boolean): void {
  if (adminToken === undefined) {
    const reply = unknownPath(ex.method, ex.path);
    ex.category = reply.category;
    sendError(ex.res, reply, ex.requestId, true);
    return;
  }
  const token = bearerToken(ex.req.headers.authorization);
  if (token === undefined || !sameToken(token, adminToken)) {
    const reply = gatewayErrorReply({
      status: 401,
      category: 'auth',
      code: 'invalid_admin_token',
      message: token === undefined ? 'The admin endpoint needs the admin token: send `Authorization: Bearer <adminToken>`.' : 'This is not the gateway’s admin token.',
      fix: 'Use the `adminToken` of the gateway config (client tokens are not accepted here).',
      extraHeaders: { 'www-authenticate': 'Bearer' },
    });
    ex.category = reply.category;
    sendError(ex.res, reply, ex.requestId, true);
    return;
  }
  const resumed = resumeAll();
  sendJson(ex.res, 200, JSON.stringify({ resumed }), { 'x-request-id': ex.requestId });
}
