// Which API key a call is sent with, and where it came from (so a 401 can name the place to fix): one rule for the
// library, the gateway and the CLI. Here, in errors/, because every module may import errors and KeySource lives here.
import type { KeySource } from './table.js';

/** The environment variable every part of tether reads the key from when none is given. */
export const API_KEY_ENV = 'TOGETHER_API_KEY';

/**
 * The given key (an option, a flag, a config field) when it is not blank, with `givenSource`; else TOGETHER_API_KEY,
 * with source 'env'; undefined when there is neither. Keys are trimmed (a newline pasted with a key is not part of it).
 */
export function findApiKey(
  given: string | undefined,
  givenSource: KeySource | undefined,
  env: NodeJS.ProcessEnv = process.env,
): { apiKey: string; source: KeySource | undefined } | undefined {
  const trimmed = given?.trim();
  if (trimmed) return { apiKey: trimmed, source: givenSource };
  const fromEnv = env[API_KEY_ENV]?.trim();
  if (fromEnv) return { apiKey: fromEnv, source: 'env' };
  return undefined;
}
