// `tether doctor`: checks every step from this machine to a working completion; exit 0 when none fails.
import type { Command } from 'commander';
import { DOCTOR_STEPS, formatCounts, formatStep, runDoctor } from '../../diagnostics/index.js';
import { EXIT_FINDING, EXIT_OK, UsageError } from '../exit-codes.js';
import { printJson, printOut } from '../output.js';

interface DoctorCliOptions {
  json?: boolean;
  apiKey?: string;
  baseUrl?: string;
  config?: string;
  timeout?: string;
  model?: string;
}

export function parseTimeout(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) <= 0 || Number(raw) > 600_000) {
    throw new UsageError('--timeout must be a whole number of milliseconds between 1 and 600000, e.g. --timeout 5000');
  }
  return Number(raw);
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('Check the path to a working Together completion step by step: key, base URL, DNS, TCP, TLS, proxy, API, models, limits, clock.')
    .option('--json', 'print the report as JSON')
    .option('--api-key <key>', 'API key to check (default: TOGETHER_API_KEY, then the config file)')
    .option('--base-url <url>', 'API base URL (default: TOGETHER_BASE_URL, the config file, else https://api.together.ai/v1)')
    .option('--config <file>', 'a tether config file (JSON or YAML) whose key, base URL and model ids are checked too')
    .option('--timeout <ms>', 'limit for each network operation, in ms', '10000')
    .option('--model <id>', 'model for the one-token completion (default: the cheapest serverless chat model)')
    .addHelpText(
      'after',
      `
Each step passes, warns or fails with the fix; a step is skipped when one it needs failed.
Exit code: 0 when no step failed (warnings allowed), 1 otherwise.

Examples:
  tether doctor
  tether doctor --config tether.yaml --json
  TOGETHER_BASE_URL=http://127.0.0.1:8787/v1 tether doctor
`,
    )
    .action(async (options: DoctorCliOptions) => {
      const timeoutMs = parseTimeout(options.timeout);
      const width = Math.max(...DOCTOR_STEPS.map((step) => step.title.length));
      if (!options.json) printOut('tether doctor\n\n');
      const report = await runDoctor({
        apiKey: options.apiKey,
        baseUrl: options.baseUrl,
        configPath: options.config,
        timeoutMs,
        model: options.model,
        onStep: options.json ? undefined : (step) => printOut(`${formatStep(step, width)}\n`),
      });
      if (options.json) printJson(report, 2);
      else printOut(`\n${formatCounts(report)}\n`);
      process.exitCode = report.ok ? EXIT_OK : EXIT_FINDING;
    });
}
