// `tether debug-bundle`: one redacted JSON file for a support ticket (summary, versions, config, doctor, errors).
import type { Command } from 'commander';
import { buildDebugBundle, writeDebugBundle } from '../../diagnostics/index.js';
import { EXIT_OK, UsageError } from '../exit-codes.js';
import { printJsonText, printOut } from '../output.js';
import { checkOutputFile } from '../paths.js';
import { parseTimeout } from './doctor.js';

interface BundleCliOptions {
  output?: string;
  config?: string;
  apiKey?: string;
  baseUrl?: string;
  timeout?: string;
  errors: string;
  journal?: string;
  doctor: boolean;
}

function defaultName(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-');
  return `tether-debug-${stamp}.json`;
}

export function registerDebugBundle(program: Command): void {
  program
    .command('debug-bundle')
    .description('Write one redacted JSON file for support: versions, config, doctor results, recent errors, breaker and pacing state.')
    .option('-o, --output <file>', 'where to write it ("-" for stdout; default tether-debug-<time>.json)')
    .option('--config <file>', 'the tether config file to include (redacted) and check')
    .option('--api-key <key>', 'API key the doctor checks (default: TOGETHER_API_KEY); never written')
    .option('--base-url <url>', 'API base URL the doctor checks')
    .option('--timeout <ms>', "limit for each of the doctor's network operations, in ms", '10000')
    .option('--errors <n>', 'how many recent journal entries to include', '50')
    .option('--journal <file>', 'the error journal to read (default $TETHER_HOME/errors.jsonl, else ~/.tether/errors.jsonl)')
    .option('--no-doctor', 'do not run the doctor (offline bundle)')
    .addHelpText(
      'after',
      `
Secrets are removed everywhere: API keys, credential fields of the config, proxy passwords — as typed,
URL-encoded, base64 and base64url. Keys appear at most as their last four characters.

Examples:
  tether debug-bundle
  tether debug-bundle --config tether.yaml -o bundle.json
`,
    )
    .action(async (options: BundleCliOptions) => {
      if (!/^\d+$/.test(options.errors) || Number(options.errors) > 10_000) throw new UsageError('--errors must be a whole number from 0 to 10000');
      // Before the doctor runs (up to --timeout per check): a bundle that cannot be written is known at once.
      if (options.output !== undefined && options.output !== '-') checkOutputFile(options.output, '--output');
      const { bundle, json } = await buildDebugBundle({
        configPath: options.config,
        apiKey: options.apiKey,
        baseUrl: options.baseUrl,
        timeoutMs: parseTimeout(options.timeout),
        errors: Number(options.errors),
        journalPath: options.journal,
        doctor: options.doctor,
      });
      if (options.output === '-') {
        printJsonText(json);
      } else {
        const path = options.output ?? defaultName(new Date());
        try {
          writeDebugBundle(path, json);
        } catch (error) {
          throw new UsageError(`cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}); choose another path with -o`);
        }
        printOut(`${bundle.summary.join('\n')}\n\nwrote ${path} (${Buffer.byteLength(json).toLocaleString('en-US')} bytes); attach it to your support request\n`);
      }
      process.exitCode = EXIT_OK;
    });
}
