// Validation issues of a config file, said without quoting what the file holds: a field name is printed only when
// it is shaped like a field name (a key pasted where a name belongs is not), and a value never is.
import type { z } from 'zod';

/** At most this many issues are listed in one message. */
const MAX_ISSUES = 5;
/** Longer names are not field names anyone types (model ids, the longest record keys, stay under it). */
const MAX_PRINTED_NAME = 64;
/** Words joined by `-`, `_`, `/`, `.` or `:` (field names, aliases, model ids such as `meta-llama/Llama-3.3-70B`). */
const NAME_SHAPE = /^[A-Za-z0-9]+(?:[-_/.:][A-Za-z0-9]+)*$/;
/** Prefixes of API keys and tokens (Together's `tgp_`, OpenAI's `sk-`, GitHub's `ghp_`, Slack's `xox…-`, …). */
const KEY_PREFIX = /^(?:sk|tgp|tg|tk|pk|rk|ghp|gho|ghs|xox[a-z]|key|api|bearer|token|secret|hf|glpat)[-_]/i;
/** A word that says what follows is a secret. */
const SECRET_WORD = /^(?:secret|password|passwd|pwd|credentials?|apikey)$/i;
/** A word of digits and letters mixed longer than this is key material, not a version (`70B`, `8x7B`, `v1`). */
const MAX_MIXED_WORD = 5;
/** camelCase humps in one word: `maxRetryAfterMs` has 3; random letters have many. */
const MAX_HUMPS = 4;

function isPlainWord(word: string): boolean {
  let letters = 0;
  let humps = 0;
  for (let i = 0; i < word.length; i += 1) {
    const c = word.charCodeAt(i);
    const upper = c >= 65 && c <= 90;
    const lower = c >= 97 && c <= 122;
    if (upper || lower) letters += 1;
    if (upper && i > 0) {
      const before = word.charCodeAt(i - 1);
      if (before >= 97 && before <= 122) humps += 1;
    }
  }
  if (humps > MAX_HUMPS) return false;
  // Letters only, digits only, or a short mix such as a version.
  return letters === word.length || letters === 0 || word.length <= MAX_MIXED_WORD;
}

/**
 * Whether `name` may be printed: shaped like a field name or a model id, not like key material (a known key prefix,
 * a long run of letters and digits mixed, a jumble of case). `maxRetryAfterMs`, `requestsPerSecond`,
 * `meta-llama/Llama-3.3-70B-Instruct-Turbo` pass; `tgp_v1_…`, `sk-…`, hex and base64 strings do not.
 */
export function isPrintableFieldName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_PRINTED_NAME || !NAME_SHAPE.test(name) || KEY_PREFIX.test(name)) return false;
  const words = name.split(/[-_/.:]/);
  // `my-secret-value`, `db_password`: a name that says it is a secret is one pasted in the wrong place.
  if (words.length > 1 && words.some((word) => SECRET_WORD.test(word))) return false;
  return words.every(isPlainWord);
}

/** `clients[1].token`; a segment that is not printable (a record key shaped like a secret) becomes `[…]`. */
export function formatConfigPath(path: readonly PropertyKey[], topLevel = '(top level)'): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const name = typeof part === 'string' && isPrintableFieldName(part) ? part : '[…]';
      out += out === '' ? name : name === '[…]' ? name : `.${name}`;
    }
  }
  return out === '' ? topLevel : out;
}

function describeUnknown(keys: readonly string[]): string {
  const shown = keys.filter(isPrintableFieldName).map((k) => `\`${k}\``);
  const hidden = keys.length - shown.length;
  if (hidden === 0) return `unknown field ${shown.join(', ')}`;
  const what = hidden === 1 ? 'whose name looks like a secret' : 'whose names look like secrets';
  if (shown.length === 0) return `${hidden === 1 ? 'an unknown field' : `${hidden} unknown fields`} ${what} (not shown: is a key written where a field name belongs?)`;
  return `unknown field ${shown.join(', ')} and ${hidden} more ${what} (not shown)`;
}

/**
 * One line naming each bad field and what it must be. zod's messages name types and bounds, never the value; the
 * unknown-field case lists names, filtered here.
 */
export function describeConfigIssues(issues: readonly z.core.$ZodIssue[]): string {
  const described = issues.slice(0, MAX_ISSUES).map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length ? ` in \`${formatConfigPath(issue.path)}\`` : '';
      return `${describeUnknown(issue.keys)}${where}`;
    }
    return `\`${formatConfigPath(issue.path)}\`: ${issue.message.replace(/^Invalid input: /, '')}`;
  });
  const more = issues.length > MAX_ISSUES ? `; and ${issues.length - MAX_ISSUES} more` : '';
  return described.join('; ') + more;
}
