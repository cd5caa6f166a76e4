/**
 * local-state: tether's files on this machine under $TETHER_HOME (else ~/.tether) — where they are, and the run
 * status files' format. It depends on no other module, so every module may use it.
 */
export { defaultJournalPath, defaultStatePath, runsDir, tetherHome } from './home.js';
export {
  RUN_STATUS_MAX_AGE_MS,
  RUN_STATUS_PRUNE_AGE_MS,
  RUN_STATUS_STALE_MS,
  parseRunStatus,
  pruneRunStatuses,
  readRunStatuses,
  writeRunStatus,
} from './run-status.js';
export type { RunState, RunStatus, RunStatusView } from './run-status.js';
