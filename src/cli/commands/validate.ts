// `tether validate FILE`: argument parsing and output only; the checks live in src/datasets.
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
// Only the light parts of the validator load with the command: the rest is imported once its workers are starting
// (startWorkersEarly), so that a worker's ~45 ms start and loading the validator happen at the same time.
import { startWorkersEarly } from '../../datasets/early-workers.js';
import { DatasetInputError } from '../../datasets/errors.js';
import { severityOf } from '../../datasets/rules.js';
import { DEFAULT_MAX_ERRORS } from '../../datasets/types.js';
import type { FixReport, Issue, RuleId, Severity, ValidationReport, ValidationProfile } from '../../datasets/index.js';
import { EXIT_FINDING, EXIT_OK, UsageError } from '../exit-codes.js';
import { clearProgress, drawProgress, printJson, printOut } from '../output.js';
import { checkInputFile, checkOutputFile } from '../paths.js';

interface ValidateFlags {
  json?: boolean;
  model?: string;
  maxErrors: number;
  fix?: string;
  profile: ValidationProfile;
  allowSameRoleRuns?: boolean;
  threads?: number;
  exactTokens?: boolean;
}

function positiveInteger(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}.`);
    return n;
  };
}

const FORMAT_LABELS: Record<string, string> = {
  conversation: 'conversational',
  instruction: 'instruction',
  text: 'text',
  preference: 'preference',
  tokenized: 'pre-tokenized Parquet',
};

const number = (n: number): string => n.toLocaleString('en-US');

/** `unit` is "row" for Parquet files, whose examples are rows. */
function issueLines(issues: Issue[], unit = 'line'): string[] {
  const width = Math.max(0, ...issues.map((i) => i.rule.length));
  return issues.map((i) => `  ${(i.line === 0 ? 'file' : `${unit} ${i.line}`).padEnd(11)} ${i.rule.padEnd(width)}  ${i.message}`);
}

function fixLines(fix: FixReport): string[] {
  const total = Object.values(fix.counts).reduce((a, b) => a + b, 0);
  if (total === 0) return [`--fix: nothing to repair; wrote an identical copy to ${fix.output}`];
  const lines = [`--fix: wrote ${fix.output} with ${number(total)} change${total === 1 ? '' : 's'} (${number(fix.linesIn)} lines in, ${number(fix.linesOut)} out):`];
  for (const c of fix.changes) lines.push(`  line ${String(c.line).padEnd(6)} ${c.message}`);
  for (const [kind, n] of Object.entries(fix.omitted)) lines.push(`  … and ${number(n)} more "${kind}" changes`);
  lines.push(`checking the repaired file ${fix.output}:`);
  return lines;
}

export function formatReport(file: string, report: ValidationReport, fix?: FixReport): string {
  const out: string[] = fix ? fixLines(fix) : [];
  const { stats } = report;
  const format = report.format ? `${FORMAT_LABELS[report.format]} format` : 'no format detected';
  const shape = `${format}, ${number(report.samples)} example${report.samples === 1 ? '' : 's'}${stats.messages > 0 ? `, ${number(stats.messages)} messages` : ''}`;
  const errorCount = report.errors.length + sumOmitted(report, 'error');
  const warningCount = report.warnings.length + sumOmitted(report, 'warning');
  const counts = [`${number(errorCount)} error${errorCount === 1 ? '' : 's'}`, ...(warningCount > 0 ? [`${number(warningCount)} warning${warningCount === 1 ? '' : 's'}`] : [])];
  out.push(report.valid ? `${file}: valid (${shape}${warningCount > 0 ? `, ${counts[1]}` : ''})` : `${file}: INVALID, ${counts.join(', ')} (${shape})`);
  const unit = report.format === 'tokenized' ? 'row' : 'line';
  if (report.errors.length > 0) out.push(...issueLines(report.errors, unit));
  if (report.warnings.length > 0) out.push('warnings:', ...issueLines(report.warnings, unit));
  for (const [rule, n] of Object.entries(report.omitted)) out.push(`  … and ${number(n)} more ${rule} (raise --max-errors to list them)`);
  const t = stats.tokens;
  if (t) {
    const longest = t.longest ? `longest ${number(t.longest.tokens)} at ${unit} ${t.longest.line}` : '';
    const bounded = t.bounded > 0 ? `; ${number(t.bounded)} more fit by their size alone (not counted; --exact-tokens counts them)` : '';
    const counted = t.counted > 0 ? `${number(t.total)} in ${number(t.counted)} counted example${t.counted === 1 ? '' : 's'}, ${longest}` : 'no example needed counting';
    out.push(
      `tokens (${t.model}, ${t.exact ? 'exact' : 'estimated'}): ${counted}${bounded}; fine-tuning context ${number(t.maxSeqLength)}`,
      t.costUsd === null ? t.costNote : `estimated cost per epoch: $${t.costUsd.toFixed(2)}`,
    );
  }
  if (stats.profile === 'legacy') out.push('(rules: --profile legacy, the v1 Python SDK / TypeScript SDK checks)');
  return `${out.join('\n')}\n`;
}

function sumOmitted(report: ValidationReport, severity: Severity): number {
  return (Object.entries(report.omitted) as [RuleId, number][]).reduce((sum, [rule, n]) => sum + (severityOf(rule) === severity ? n : 0), 0);
}

/** Progress on stderr for a terminal: percentage and speed, a few times a second; nothing otherwise. */
function progressPrinter(file: string): { update: (done: number, total: number) => void; clear: () => void } {
  if (!process.stderr.isTTY) return { update: () => undefined, clear: () => undefined };
  const started = Date.now();
  let last = 0;
  let shown = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 200 || total === 0) return;
      last = now;
      shown = true;
      const rate = done / 1e6 / Math.max((now - started) / 1000, 0.001);
      drawProgress(`checking ${file}: ${Math.floor((done / total) * 100)}% (${rate.toFixed(0)} MB/s)`);
    },
    clear() {
      if (shown) clearProgress();
    },
  };
}

async function run(file: string, flags: ValidateFlags): Promise<void> {
  if (flags.exactTokens && flags.model === undefined) throw new UsageError('--exact-tokens counts tokens with a model: add --model ID.');
  // With --fix the file checked is the repaired copy, written first: no workers before then.
  if (flags.fix === undefined) await startWorkersEarly(file, flags.threads);
  const { validateFile } = await import('../../datasets/validate.js');
  let fix: FixReport | undefined;
  if (flags.fix !== undefined) {
    const { repairFile } = await import('../../datasets/fix.js');
    fix = await repairFile(file, flags.fix, { maxChanges: flags.maxErrors });
  }
  const target = fix?.output ?? file;
  const progress = flags.json ? { update: () => undefined, clear: () => undefined } : progressPrinter(target);
  let report: ValidationReport;
  try {
    report = await validateFile(target, {
      profile: flags.profile,
      allowSameRoleRuns: flags.allowSameRoleRuns ?? false,
      maxErrors: flags.maxErrors,
      ...(flags.model !== undefined ? { model: flags.model } : {}),
      ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
      ...(flags.exactTokens ? { exactTokens: true } : {}),
      onProgress: progress.update,
    });
  } finally {
    progress.clear();
  }
  if (flags.json) printJson(fix ? { ...report, fix } : report);
  else printOut(formatReport(target, report, fix));
  process.exitCode = report.valid ? EXIT_OK : EXIT_FINDING;
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description("Check a fine-tuning file (JSONL, or pre-tokenized Parquet) with Together's rules and report every error by line or row (exit 0 valid, 1 invalid, 2 usage).")
    .argument('<file>', 'the .jsonl or .parquet file to check')
    .option('--json', 'print one JSON object: {valid, format, samples, errors, warnings, omitted, stats}')
    .option('--model <id>', "count tokens with this model's tokenizer and flag examples longer than its fine-tuning context")
    .option('--max-errors <n>', 'errors listed per rule; the rest are counted', positiveInteger('--max-errors', 1), DEFAULT_MAX_ERRORS)
    .option('--fix <out>', 'write a repaired copy (BOM, CRLF, blank lines, stray whitespace) to OUT, list the changes, then check OUT')
    .addOption(
      new Option('--profile <name>', "which of Together's rule sets: current (docs, tool calling) or legacy (v1 Python / TS SDK checks)")
        .choices(['current', 'legacy'])
        .default('current'),
    )
    .option('--allow-same-role-runs', 'accept consecutive messages with the same role (newer Python SDK behaviour)')
    .option('--exact-tokens', 'with --model: tokenize every example for exact totals (by default an example whose size alone proves it fits is not tokenized)')
    .option('--threads <n>', 'worker threads (0: check on the main thread; default: one per idle core beyond the first, at most 3, for files of 32 MiB or more)', positiveInteger('--threads', 0))
    .action(async (file: string, flags: ValidateFlags) => {
      checkInputFile(file, 'the dataset');
      if (flags.fix !== undefined) checkOutputFile(flags.fix, '--fix output');
      try {
        await run(file, flags);
      } catch (error) {
        if (error instanceof DatasetInputError) throw new UsageError(error.message);
        // A read that fails midway (EIO, a file that is not what it claims, such as /proc/self/mem): the input, not a finding.
        const code = (error as NodeJS.ErrnoException | null)?.code;
        if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) throw new UsageError(`cannot read ${file} (${code}); give the path of a readable JSONL or Parquet file.`);
        throw error;
      }
    });
}
