// The same 402 asks for a different next step depending on which front door raised it: the library resumes with
// `client.resetKey()`, the gateway with a config reload, `tether run` by running the same command again. The
// classifier cannot know the door, so each door rewrites the billing fix where it hands the error to its user.
import { TogetherError } from './together-error.js';

/** Where an error reaches its user. */
export type FrontDoor = 'library' | 'resilient-fetch' | 'gateway' | 'run';

const BILLING_URL = 'https://api.together.xyz/settings/billing';
const ADD_CREDIT = `Add credit or raise the limit at ${BILLING_URL}`;

/** The billing fix without a front door (tether explain): what to do, and that every door stops the key. */
export const BILLING_FIX = `${ADD_CREDIT}, then send again; a 402 is never retried, and tether sends nothing more with that key until told to resume.`;

/** The next step after a 402, in the words of the door that raised it; `resume` is `tether run`'s exact command. */
export function billingFix(door: FrontDoor, resume?: string): string {
  switch (door) {
    case 'library':
      return `${ADD_CREDIT}, then call client.resetKey() to let this client send with the key again (until then every request fails at once, without calling Together).`;
    case 'resilient-fetch':
      return `${ADD_CREDIT}, then call resetKey() on the resilientFetch's pipeline (\`fetch.pipeline.resetKey()\`) to send with the key again (until then every request fails at once, without calling Together).`;
    case 'gateway':
      return `${ADD_CREDIT}, then save the gateway's config file (any change reloads it) or restart the gateway to let it send with this key again; until then every request with the key fails at once (GET /healthz lists stopped keys).`;
    case 'run':
      return `${ADD_CREDIT}, then run the same command again${resume === undefined ? '' : ` (\`${resume}\`)`}: it keeps every finished result and sends only what is left.`;
  }
}

/** `error` with its fix in the door's words when it is a billing error; any other error as it is. */
export function withFrontDoorFix<E>(error: E, door: FrontDoor, resume?: string): E | TogetherError {
  if (!(error instanceof TogetherError) || error.category !== 'billing') return error;
  const fix = billingFix(door, resume);
  if (error.fix === fix) return error;
  const copy = new TogetherError({ ...error.toJSON(), fix, original: error.original });
  if (error.stack !== undefined) copy.stack = error.stack;
  return copy;
}
