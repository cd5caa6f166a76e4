// `tether explain` without commander, for its plain argument lists: the CLI's most frequent quick call (scripts
// and people pasting a failed response) then starts in about the time of a bare `node`, instead of also loading
// commander. The build bundles it with main.ts and everything it imports into one file (dist/cli/main.cjs); the
// options table, the classification and the printing are the very code the commander path runs.
import { EXPLAIN_OPTIONS, runExplain } from './commands/explain.js';
import type { ExplainOptions } from './commands/explain.js';
import { reportFailure } from './failure.js';
import { parseOptionTable } from './option-table.js';

/**
 * Runs `tether explain <args>` and returns true, or returns false without doing anything when the arguments are
 * not plain options (help, an unknown option, a missing value…): commander then parses and reports them.
 */
export async function explainWithoutCommander(args: readonly string[]): Promise<boolean> {
  const options = parseOptionTable(EXPLAIN_OPTIONS, args);
  if (options === undefined) return false;
  try {
    await runExplain(options as unknown as ExplainOptions);
  } catch (error) {
    reportFailure(error);
  }
  return true;
}
