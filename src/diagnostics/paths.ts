// Where tether keeps its local diagnostics files: $TETHER_HOME, else ~/.tether.
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
