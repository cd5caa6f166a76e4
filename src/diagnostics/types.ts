// The shapes a doctor run produces: one result per step, and the report around them.

/** pass: fine. warn: works, but look at it. fail: broken (exit 1). skip: not run (not applicable, or blocked). */
export type StepStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** Every step of `tether doctor`, in the order it runs. */
export const STEP_IDS = [
  'config',
  'key',
  'base_url',
  'proxy',
  'dns',
  'tcp',
  'tls',
  'models',
  'whoami',
  'latency',
  'config_models',
  'completion',
  'rate_limits',
  'clock',
] as const;

export type StepId = (typeof STEP_IDS)[number];

/** What a step returns; the runner adds its id, title and timing. */
export interface StepOutcome {
  status: StepStatus;
  /** One line: what was found. Never contains a secret. */
  summary: string;
  /** The concrete next step, for warn and fail (and for a skip the user can act on). */
  fix?: string | undefined;
  /** More lines: one per model checked, the headers read, the certificate… */
  details?: string[] | undefined;
  /** Machine-readable facts for `--json` and the debug bundle. */
  data?: Record<string, unknown> | undefined;
}

export interface StepResult extends StepOutcome {
  id: StepId;
  title: string;
  /** Set when the step was skipped because a step it needs did not pass. */
  blockedBy?: StepId | undefined;
  elapsedMs: number;
}

export interface DoctorReport {
  /** True when no step failed (warnings allowed). */
  ok: boolean;
  startedAt: string;
  elapsedMs: number;
  /** The base URL checked, when it could be worked out. */
  baseUrl?: string | undefined;
  counts: Record<StepStatus, number>;
  steps: StepResult[];
}
