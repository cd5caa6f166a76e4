// Shared by commands that call Together's API: the --base-url / --api-key flags, the key and where it came
// from (env or flag; the key itself is never printed), a transport, and how a TogetherError is shown.
import type { Command } from 'commander';
import { createTransport } from '../api/index.js';
import type { Transport } from '../api/index.js';
import { findApiKey } from '../errors/index.js';
import type { KeySource, TogetherError } from '../errors/index.js';
import { UsageError } from './exit-codes.js';

export interface ApiFlags {
  baseUrl?: string;
  apiKey?: string;
}

export function addApiOptions(command: Command): Command {
  return command
    .option('--base-url <url>', 'API base URL (default: TOGETHER_BASE_URL, else https://api.together.ai/v1)')
    .option('--api-key <key>', 'API key (default: TOGETHER_API_KEY)');
}

/**
 * The key from --api-key, else TOGETHER_API_KEY; a UsageError when there is neither (`orElse` adds the command's
 * own way out, e.g. "or use --offline"). Every CLI command resolves its key here.
 */
export function resolveApiKey(flags: ApiFlags, env: NodeJS.ProcessEnv = process.env, orElse?: string): { key: string; source: KeySource } {
  const found = findApiKey(flags.apiKey, 'flag', env);
  if (found !== undefined) return { key: found.apiKey, source: found.source ?? 'flag' };
  throw new UsageError(`no API key: set TOGETHER_API_KEY or pass --api-key${orElse !== undefined ? ` (${orElse})` : ''}`);
}

/** A transport to the configured base URL with the resolved key; a bad base URL or key is a UsageError. */
export function openApi(flags: ApiFlags): { transport: Transport; keySource: KeySource } {
  const { key, source } = resolveApiKey(flags);
  try {
    return { transport: createTransport({ baseUrl: flags.baseUrl, apiKey: key }), keySource: source };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** A TogetherError for a person: the message, then why, then what to do. */
export function togetherErrorText(error: TogetherError): string {
  const request = error.requestId === undefined ? '' : `\n  request id: ${error.requestId}`;
  return `${error.message}\n  cause: ${error.cause}\n  fix:   ${error.fix}${request}`;
}
