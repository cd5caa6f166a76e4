// `runDoctor`: the steps in order, each skipped when a step it needs failed (or was itself blocked).
import { redactSecrets } from '../../errors/index.js';
import { STEP_IDS, type DoctorReport, type StepId, type StepOutcome, type StepResult, type StepStatus } from '../types.js';
import { completionStep, latencyStep, modelsStep, whoamiStep } from './api-steps.js';
import type { DoctorContext, DoctorOptions, DoctorStep } from './context.js';
import { clockStep, configModelsStep, rateLimitsStep } from './finding-steps.js';
import { baseUrlStep, configStep, keyStep, proxyStep } from './local-steps.js';
import { dnsStep, tcpStep, tlsStep } from './network-steps.js';

export const DOCTOR_STEPS: readonly DoctorStep[] = [
  configStep,
  keyStep,
  baseUrlStep,
  proxyStep,
  dnsStep,
  tcpStep,
  tlsStep,
  modelsStep,
  whoamiStep,
  latencyStep,
  configModelsStep,
  completionStep,
  rateLimitsStep,
  clockStep,
];

export const DEFAULT_DOCTOR_TIMEOUT_MS = 10_000;

/** The needed step that stops this one: failed, or itself blocked. */
function blocker(step: DoctorStep, results: ReadonlyMap<StepId, StepResult>): StepResult | undefined {
  for (const need of step.needs) {
    const result = results.get(need);
    if (result !== undefined && (result.status === 'fail' || result.blockedBy !== undefined)) return result;
  }
  return undefined;
}

/** Runs every check and returns the report; never throws for a failed check (an unexpected error fails its step). */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DOCTOR_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new TypeError(`runDoctor: timeoutMs must be a positive integer, got ${String(timeoutMs)}`);
  const now = options.now ?? Date.now;
  const ctx: DoctorContext = { env: options.env ?? process.env, timeoutMs, options, now, whoamiAnswered: false, responses: [] };
  const started = performance.now();
  const startedAt = new Date(now()).toISOString();
  const results = new Map<StepId, StepResult>();
  // The key is scrubbed from anything a step reports, in case an error message ever echoes it.
  const secrets = (): string[] => [ctx.key?.value, options.apiKey?.trim(), ctx.env['TOGETHER_API_KEY']?.trim()].filter((s): s is string => s !== undefined && s !== '');
  try {
    for (const step of DOCTOR_STEPS) {
      const stepStarted = performance.now();
      const blocked = blocker(step, results);
      let outcome: StepOutcome;
      if (blocked !== undefined) {
        outcome = { status: 'skip', summary: `skipped: needs ${blocked.title}, which ${blocked.status === 'fail' ? 'failed' : 'was skipped'}` };
      } else {
        try {
          outcome = await step.run(ctx);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          outcome = { status: 'fail', summary: `the check itself failed: ${message}`, fix: 'This is a bug in tether doctor; please report it with this output.' };
        }
      }
      const result = scrubResult(
        { id: step.id, title: step.title, ...outcome, ...(blocked === undefined ? {} : { blockedBy: blocked.id }), elapsedMs: Math.round(performance.now() - stepStarted) },
        secrets(),
      );
      results.set(step.id, result);
      options.onStep?.(result);
    }
  } finally {
    ctx.catalog?.close();
    await ctx.transport?.close();
    await ctx.dispatcher?.close();
  }
  const steps = STEP_IDS.map((id) => results.get(id)).filter((r): r is StepResult => r !== undefined);
  const counts: Record<StepStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const step of steps) counts[step.status]++;
  return { ok: counts.fail === 0, startedAt, elapsedMs: Math.round(performance.now() - started), baseUrl: ctx.target?.href, counts, steps };
}

function scrubResult(result: StepResult, secrets: readonly string[]): StepResult {
  const text = (value: string): string => redactSecrets(value, secrets);
  return {
    ...result,
    summary: text(result.summary),
    ...(result.fix === undefined ? {} : { fix: text(result.fix) }),
    ...(result.details === undefined || result.details.length === 0 ? { details: undefined } : { details: result.details.map(text) }),
    ...(result.data === undefined ? {} : { data: JSON.parse(text(JSON.stringify(result.data))) as Record<string, unknown> }),
  };
}
