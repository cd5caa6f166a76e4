/** Exit codes every command shares (DESIGN.md conventions). */
export const EXIT_OK = 0;
/** A finding: an invalid file, a failed check, a classified error. */
export const EXIT_FINDING = 1;
/** The command was called wrongly. */
export const EXIT_USAGE = 2;

/** Thrown by command actions for a usage problem commander cannot see (a bad flag value, a missing file). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
