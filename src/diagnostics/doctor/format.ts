// The doctor's report for a person: one line per step, the fix under anything that is not a pass.
import { formatDuration } from '../../policy/index.js';
import type { DoctorReport, StepResult, StepStatus } from '../types.js';

const MARK: Record<StepStatus, string> = { pass: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip' };

export function formatStep(step: StepResult, titleWidth = 20): string {
  const lines = [`${MARK[step.status]}  ${step.title.padEnd(titleWidth)}  ${step.summary}`];
  const indent = ' '.repeat(6 + titleWidth + 2);
  for (const detail of step.details ?? []) lines.push(`${indent}${detail}`);
  if (step.fix !== undefined && step.status !== 'pass') lines.push(`${indent}fix: ${step.fix}`);
  return lines.join('\n');
}

export function formatCounts(report: DoctorReport): string {
  const { pass, warn, fail, skip } = report.counts;
  const parts = [`${pass} passed`, `${warn} warning${warn === 1 ? '' : 's'}`, `${fail} failed`, `${skip} skipped`];
  return `${parts.join(', ')} (${formatDuration(report.elapsedMs)})`;
}

export function formatDoctorReport(report: DoctorReport): string {
  const width = Math.max(...report.steps.map((s) => s.title.length));
  const head = `tether doctor${report.baseUrl === undefined ? '' : ` — ${report.baseUrl}`}`;
  return [head, '', ...report.steps.map((step) => formatStep(step, width)), '', formatCounts(report)].join('\n');
}
