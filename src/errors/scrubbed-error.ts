// A TogetherError with every text field scrubbed of the given secrets: built here, like every TogetherError.
import { redactSecrets, scrubberFor } from './redact.js';
import { TogetherError } from './together-error.js';

/** A classified error whose text could still hold one of our keys gets every field scrubbed (belt and braces). */
export function scrubbedError(error: TogetherError, secrets: readonly string[]): TogetherError {
  const fields = error.toJSON();
  if (!scrubberFor(secrets).contains(JSON.stringify(fields))) return error;
  const clean = (text: string | undefined): string | undefined => (text === undefined ? undefined : redactSecrets(text, secrets));
  return new TogetherError({
    ...fields,
    message: redactSecrets(fields.message, secrets),
    cause: redactSecrets(fields.cause, secrets),
    fix: redactSecrets(fields.fix, secrets),
    code: clean(fields.code),
    type: clean(fields.type),
    param: clean(fields.param),
    original: error.original,
  });
}
