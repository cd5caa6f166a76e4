// Where tether keeps its local files: $TETHER_HOME, else ~/.tether. The one place the rule is written; every module
// that reads or writes there (diagnostics' journal and state file, batch's run status files, the gateway's
// dashboard) asks here.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function tetherHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['TETHER_HOME'];
  return fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv.trim() : join(homedir(), '.tether');
}

/** The error journal the pipeline appends to (JSON lines, size-bounded). */
export function defaultJournalPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(tetherHome(env), 'errors.jsonl');
}

/** The pacing and breaker state a long-running front door (the gateway) may save for the debug bundle. */
export function defaultStatePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(tetherHome(env), 'state.json');
}

/** `tether run` status files: one per job (see run-status.ts). */
export function runsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(tetherHome(env), 'runs');
}
