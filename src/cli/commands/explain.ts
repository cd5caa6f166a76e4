// `tether explain`: classify a status + body + headers (or a transport error code) and say what to do about it.
import type { Command } from 'commander';
// Not diagnostics/index.js: that also loads the doctor, the API transport and zod (0.5 s for a 0.15 s command).
import { SavedResponseError, parseSavedResponse } from '../../diagnostics/saved-response.js';
import { classify, classifyNetworkError, formatDuration } from '../../errors/index.js';
import type { KeySource, TogetherError } from '../../errors/index.js';
import { EXIT_OK, UsageError } from '../exit-codes.js';
import { addOptions } from '../option-table.js';
import type { OptionSpec } from '../option-table.js';
import { printJsonText, printOut } from '../output.js';
import { MAX_EXPLAIN_INPUT_BYTES, readInput } from '../read-input.js';
import { terminalSafe, terminalSafeJson } from '../terminal-text.js';

export interface ExplainOptions {
  status?: string;
  body?: string;
  header: string[];
  network?: string;
  response?: string;
  model?: string;
  keySource?: string;
  json?: boolean;
}

/** What to classify. Each input form (flags, or a saved HTTP response) is read into one of these. */
type ExplainRequest =
  | { kind: 'http'; status: number; headers: Array<[string, string]>; body?: string | Buffer; model?: string; keySource?: KeySource }
  | { kind: 'network'; error: unknown; model?: string };

const KEY_SOURCES: readonly KeySource[] = ['env', 'flag', 'config'];

function parseStatus(raw: string): number {
  if (!/^\d{3}$/.test(raw.trim())) throw new UsageError('--status must be a 3-digit HTTP status code such as 429');
  const status = Number(raw.trim());
  if (status < 100 || status > 599) throw new UsageError(`--status must be between 100 and 599, not ${status}`);
  return status;
}

/** `name: value` → a pair. The value is never echoed in an error: it may be an Authorization header. */
function parseHeader(line: string, index: number): [string, string] {
  const colon = line.indexOf(':');
  const name = colon > 0 ? line.slice(0, colon).trim() : '';
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new UsageError(`--header #${index + 1} is not of the form 'name: value' (e.g. --header 'retry-after: 2')`);
  }
  return [name.toLowerCase(), line.slice(colon + 1).trim()];
}

/** What `--body @path` and `--response path` name, read before anything is classified (bounded in size). */
export interface ExplainFiles {
  body?: Buffer;
  response?: Buffer;
}

/** The path after `--body @`, or undefined for a literal body. */
function bodyPath(raw: string | undefined): string | undefined {
  if (raw === undefined || !raw.startsWith('@')) return undefined;
  const path = raw.slice(1);
  if (path === '') throw new UsageError('--body @ needs a file path, e.g. --body @response.json (or @- for stdin)');
  return path;
}

/** Reads the files the flags name, at most MAX_EXPLAIN_INPUT_BYTES each. */
export async function readExplainFiles(options: ExplainOptions): Promise<ExplainFiles> {
  const files: ExplainFiles = {};
  const body = bodyPath(options.body);
  if (body !== undefined) files.body = await readInput(body, MAX_EXPLAIN_INPUT_BYTES, 'the --body file', 'pass the JSON or text itself, or @<existing file>');
  if (options.response !== undefined && options.response.trim() !== '') {
    files.response = await readInput(options.response, MAX_EXPLAIN_INPUT_BYTES, 'the --response file', 'save the response with curl -i … > response.txt');
  }
  return files;
}

/** The body as given, or the file curl-style `@path` (`@-` for stdin) named. */
function readBody(raw: string, files: ExplainFiles): string | Buffer {
  if (bodyPath(raw) === undefined) return raw;
  if (files.body === undefined) throw new UsageError('--body @file was not read; pass the JSON or text itself');
  return files.body;
}

/** `--network CODE` as the error a client would have thrown: a DOMException for aborts/timeouts, else a coded Error. */
function networkError(code: string): unknown {
  const trimmed = code.trim();
  if (trimmed === '') throw new UsageError('--network needs an error code such as ECONNRESET, ENOTFOUND or TimeoutError');
  for (const name of ['AbortError', 'TimeoutError']) {
    if (trimmed.toLowerCase() === name.toLowerCase()) return new DOMException(`simulated ${name}`, name);
  }
  return Object.assign(new Error(`simulated ${trimmed}`), { code: trimmed.toUpperCase() });
}

/** `--response FILE|-`: a saved response (status line, headers, blank line, body), parsed. */
function readSavedResponse(path: string, files: ExplainFiles): { status: number; headers: Array<[string, string]>; body: Buffer } {
  if (path.trim() === '') throw new UsageError('--response needs a file path, or - to read the saved response from stdin');
  if (files.response === undefined) throw new UsageError('--response file was not read; give a saved response file');
  return parseSaved(files.response, path === '-' ? '(stdin)' : path);
}

function parseSaved(raw: Buffer, label: string): { status: number; headers: Array<[string, string]>; body: Buffer } {
  try {
    const saved = parseSavedResponse(raw);
    return { status: saved.status, headers: saved.headers, body: saved.body };
  } catch (error) {
    if (error instanceof SavedResponseError) throw new UsageError(`--response ${label}: ${error.message}`);
    throw error;
  }
}

function requestFromOptions(options: ExplainOptions, files: ExplainFiles): ExplainRequest {
  if (options.keySource !== undefined && !KEY_SOURCES.includes(options.keySource as KeySource)) {
    throw new UsageError(`--key-source must be one of ${KEY_SOURCES.join(', ')}`);
  }
  const model = options.model === undefined ? {} : { model: options.model };
  const keySource = options.keySource === undefined ? {} : { keySource: options.keySource as KeySource };
  if (options.response !== undefined) {
    if (options.network !== undefined || options.status !== undefined || options.body !== undefined || options.header.length > 0) {
      throw new UsageError('--response holds the status, headers and body: do not combine it with --status, --body, --header or --network');
    }
    const saved = readSavedResponse(options.response, files);
    return { kind: 'http', status: saved.status, headers: saved.headers, ...(saved.body.length > 0 ? { body: saved.body } : {}), ...model, ...keySource };
  }
  if (options.network !== undefined) {
    if (options.status !== undefined || options.body !== undefined || options.header.length > 0) {
      throw new UsageError('--network describes a failure with no response: do not combine it with --status, --body or --header');
    }
    return { kind: 'network', error: networkError(options.network), ...model };
  }
  if (options.status === undefined) {
    throw new UsageError('give --status <code> (with --body / --header from the response), --response <saved response file>, or --network <error code>');
  }
  return {
    kind: 'http',
    status: parseStatus(options.status),
    headers: options.header.map(parseHeader),
    ...(options.body === undefined ? {} : { body: readBody(options.body, files) }),
    ...model,
    ...keySource,
  };
}

function explain(request: ExplainRequest): TogetherError {
  if (request.kind === 'network') return classifyNetworkError(request.error, { model: request.model });
  return classify(request);
}

/** "2 s (2000 ms)"; a wait past a year is shown without its (meaningless, exponent-notation) milliseconds. */
function retryAfterText(ms: number): string {
  const text = formatDuration(ms);
  return text.startsWith('more than') ? `${text} (implausible; the header is likely wrong)` : `${text} (${ms} ms)`;
}

function render(error: TogetherError, json: boolean | undefined): string {
  return json ? terminalSafeJson(`${JSON.stringify(error.toJSON(), null, 2)}\n`) : terminalSafe(`${humanLines(error)}\n`, { multiline: true });
}

/** What `tether explain` prints for these flags and files (safe for a terminal), or a UsageError (exit 2). */
export function explainReport(options: ExplainOptions, files: ExplainFiles = {}): string {
  return render(explain(requestFromOptions(options, files)), options.json);
}

/** What `tether explain --response` prints for this saved response, or a UsageError (exit 2). */
export function explainSavedResponse(raw: Buffer, json = false): string {
  const saved = parseSaved(raw, '(input)');
  return render(explain({ kind: 'http', status: saved.status, headers: saved.headers, ...(saved.body.length > 0 ? { body: saved.body } : {}) }), json);
}

function humanLines(error: TogetherError): string {
  const rows: Array<[string, string | undefined]> = [
    ['category', error.category],
    ['status', error.status?.toString()],
    ['code', error.code],
    ['model', error.model],
    ['message', error.message],
    ['cause', error.cause],
    ['fix', error.fix],
    ['retryable', error.retryable ? 'yes' : 'no'],
    ['retry after', error.retryAfterMs === undefined ? undefined : retryAfterText(error.retryAfterMs)],
    ['request id', error.requestId],
    [
      'details',
      error.details === undefined
        ? undefined
        : Object.entries(error.details)
            .map(([key, value]) => `${key}=${value}`)
            .join(' '),
    ],
  ];
  const shown = rows.filter((row): row is [string, string] => row[1] !== undefined && row[1] !== '');
  const width = Math.max(...shown.map(([label]) => label.length)) + 2;
  // Each value on its own line: a line break inside a server's message could fake a `fix` row.
  return shown.map(([label, value]) => `${label.padEnd(width)}${terminalSafe(value)}`).join('\n');
}

/** The options of `tether explain`: registered with commander, and read by the fast path (../explain-fast.ts). */
export const EXPLAIN_OPTIONS: readonly OptionSpec[] = [
  { flags: '--status <code>', description: 'HTTP status of the response (e.g. 429)' },
  { flags: '--body <json|text|@file>', description: 'response body: JSON, text, or @path to read it from a file (@- for stdin)' },
  { flags: '-H, --header <line>', description: "a response header as 'name: value' (repeatable)", repeatable: true },
  { flags: '--response <file|->', description: 'a saved HTTP response (status line, headers, body), e.g. from curl -i; - reads stdin' },
  { flags: '--network <code>', description: 'a transport error instead of a response: ECONNRESET, ENOTFOUND, UND_ERR_HEADERS_TIMEOUT, TimeoutError…' },
  { flags: '--model <id>', description: 'the model the request named' },
  { flags: '--key-source <source>', description: 'where the API key came from: env, flag or config' },
  { flags: '--json', description: 'print the classification as JSON' },
];

/** What `tether explain` does once its options are parsed: read the named files, classify, print. */
export async function runExplain(options: ExplainOptions): Promise<void> {
  const report = explainReport(options, await readExplainFiles(options));
  if (options.json) printJsonText(report);
  else printOut(report);
  process.exitCode = EXIT_OK;
}

export function registerExplain(program: Command): void {
  const command = program
    .command('explain')
    .description("Explain a failed Together API response: its category, cause, the fix, and whether to retry.");
  addOptions(command, EXPLAIN_OPTIONS)
    .addHelpText(
      'after',
      `
Examples:
  tether explain --status 429 --header 'retry-after: 2' --body '{"error":{"message":"...","type":"dynamic_request_limited"}}'
  tether explain --status 400 --body @error.json --json
  tether explain --network ECONNRESET
  curl -si https://api.together.ai/v1/models -H "Authorization: Bearer $TOGETHER_API_KEY" | tether explain --response -
  tether explain --response saved-429.txt --json
`,
    )
    .action(runExplain);
}
