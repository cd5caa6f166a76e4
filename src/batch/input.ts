// Reading a batch input file: JSONL of Together's `{"custom_id", "body"}` lines, or plain request bodies (which
// get a generated, stable id `line-<n>`). Every line is checked before anything is sent, and every problem is
// reported with its line number, so one pass over a bad file shows all of it.
import { createHash } from 'node:crypto';
import { checkRequestBody, chatCompletionRequestSchema, completionRequestSchema, embeddingsRequestSchema } from '../api/index.js';
import type { Endpoint } from './send.js';

/** Together caps `custom_id` at 64 characters [facts §2.5]. */
export const MAX_CUSTOM_ID_LENGTH = 64;

/** The wire paths a batch line may name in `url`, and the pipeline endpoint each one is. */
export const ENDPOINT_PATHS: Readonly<Record<Endpoint, string>> = {
  chat: '/v1/chat/completions',
  completions: '/v1/completions',
  embeddings: '/v1/embeddings',
};

const WRAPPER_KEYS = new Set(['custom_id', 'body', 'method', 'url']);

export interface BatchRequest {
  /** Position among the requests (0-based, blank lines skipped): results are written in this order. */
  index: number;
  /** 1-based line number in the file, for messages. */
  line: number;
  customId: string;
  endpoint: Endpoint;
  /** The request body as it will be sent (the model override applied). */
  body: Record<string, unknown>;
}

export interface InputIssue {
  line: number;
  message: string;
}

export interface ParsedInput {
  requests: BatchRequest[];
  issues: InputIssue[];
  /** sha256 of the normalised requests (ids and bodies): the identity of a job, so a resume finds its checkpoint. */
  fingerprint: string;
}

export interface ParseOptions {
  /** Use this model for every request (replaces the body's `model`). */
  model?: string | undefined;
  /** Only this endpoint is allowed (Together's Batch API runs one endpoint per batch). */
  onlyEndpoint?: Endpoint | undefined;
}

function checkBody(endpoint: Endpoint, body: Record<string, unknown>): ReturnType<typeof checkRequestBody<unknown>> {
  if (endpoint === 'chat') return checkRequestBody(chatCompletionRequestSchema, body);
  if (endpoint === 'completions') return checkRequestBody(completionRequestSchema, body);
  return checkRequestBody(embeddingsRequestSchema, body);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function endpointForPath(url: string): Endpoint | undefined {
  const path = url.replace(/^https?:\/\/[^/]+/, '');
  return (Object.keys(ENDPOINT_PATHS) as Endpoint[]).find((e) => ENDPOINT_PATHS[e] === path || ENDPOINT_PATHS[e].slice(3) === path);
}

/** What kind of request a body is, from its fields: `messages` chat, `prompt` completions, `input` embeddings. */
export function endpointOfBody(body: Record<string, unknown>): Endpoint | undefined {
  if ('messages' in body) return 'chat';
  if ('prompt' in body) return 'completions';
  if ('input' in body) return 'embeddings';
  return undefined;
}

type LineResult = { ok: true; request: Omit<BatchRequest, 'index'> } | { ok: false; messages: string[] };

function readWrapper(value: Record<string, unknown>, line: number): { customId: string; body: unknown; url?: unknown } | { errors: string[] } {
  const errors: string[] = [];
  const unknown = Object.keys(value).filter((k) => !WRAPPER_KEYS.has(k));
  if (unknown.length) {
    errors.push(`unknown field ${unknown.map((k) => `\`${k}\``).join(', ')}: a batch line is {"custom_id": "...", "body": {...}} (optionally "method", "url")`);
  }
  if (!('body' in value)) errors.push('has `custom_id` but no `body`: put the request under "body"');
  let customId = `line-${line}`;
  if ('custom_id' in value) {
    const id = value.custom_id;
    if (typeof id !== 'string' || id.length === 0) errors.push('`custom_id` must be a non-empty string');
    else if (id.length > MAX_CUSTOM_ID_LENGTH) errors.push(`\`custom_id\` is ${id.length} characters; Together allows at most ${MAX_CUSTOM_ID_LENGTH}`);
    else customId = id;
  }
  if ('method' in value && value.method !== 'POST') errors.push('`method` must be "POST" when given');
  return errors.length ? { errors } : { customId, body: value.body, url: value.url };
}

function parseLine(text: string, line: number, options: ParseOptions): LineResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, messages: [`not valid JSON (${(error as Error).message})`] };
  }
  if (!isObject(value)) return { ok: false, messages: ['must be a JSON object: {"custom_id": "...", "body": {...}} or a request body'] };
  const wrapped = 'body' in value || 'custom_id' in value;
  const wrapper = wrapped ? readWrapper(value, line) : { customId: `line-${line}`, body: value, url: undefined };
  if ('errors' in wrapper) return { ok: false, messages: wrapper.errors };
  if (!isObject(wrapper.body)) return { ok: false, messages: ['`body` must be a JSON object (the request body)'] };
  const body: Record<string, unknown> = options.model === undefined ? wrapper.body : { ...wrapper.body, model: options.model };
  const messages: string[] = [];
  let endpoint: Endpoint | undefined;
  if (wrapper.url !== undefined) {
    endpoint = typeof wrapper.url === 'string' ? endpointForPath(wrapper.url) : undefined;
    if (!endpoint) messages.push(`\`url\` must be one of ${Object.values(ENDPOINT_PATHS).join(', ')}`);
  } else {
    endpoint = endpointOfBody(body);
    if (!endpoint) messages.push('the body has no `messages` (chat), `prompt` (completions) or `input` (embeddings)');
  }
  if (endpoint && options.onlyEndpoint && endpoint !== options.onlyEndpoint) {
    messages.push(`is a ${endpoint} request, but this batch runs ${ENDPOINT_PATHS[options.onlyEndpoint]} only`);
  }
  if (body.stream === true) messages.push('`stream: true` cannot be used in a batch: remove it (results are written whole)');
  if (endpoint && messages.length === 0) {
    const check = checkBody(endpoint, body);
    if (!check.ok) messages.push(...check.issues.map((issue) => `${issue.path === '(body)' ? 'body' : `body.${issue.path}`} ${issue.message}`));
  }
  if (messages.length || !endpoint) return { ok: false, messages };
  return { ok: true, request: { line, customId: wrapper.customId, endpoint, body } };
}

/** Split a buffer into lines (LF or CRLF) with their 1-based numbers; blank lines are dropped. */
export function splitLines(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const trimmed = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (trimmed.trim() !== '') out.push({ line: i + 1, text: trimmed });
  });
  return out;
}

/** The serialised line a request is uploaded as and identified by: `{"custom_id","body"}`. */
export function requestLine(request: Pick<BatchRequest, 'customId' | 'body'>): string {
  return JSON.stringify({ custom_id: request.customId, body: request.body });
}

/** Parse and check every line. `requests` holds the good lines; a file with any issue must not be run. */
export function parseBatchInput(text: string, options: ParseOptions = {}): ParsedInput {
  const requests: BatchRequest[] = [];
  const issues: InputIssue[] = [];
  const firstLineOf = new Map<string, number>();
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a UTF-8 BOM is not part of the first line
  for (const { line, text: lineText } of splitLines(text)) {
    const result = parseLine(lineText, line, options);
    if (!result.ok) {
      for (const message of result.messages) issues.push({ line, message });
      continue;
    }
    const seen = firstLineOf.get(result.request.customId);
    if (seen !== undefined) {
      issues.push({ line, message: `custom_id "${result.request.customId}" is also used on line ${seen}; every custom_id must be unique` });
      continue;
    }
    firstLineOf.set(result.request.customId, line);
    requests.push({ index: requests.length, ...result.request });
  }
  if (requests.length === 0 && issues.length === 0) issues.push({ line: 0, message: 'the file has no requests (every line is blank)' });
  const hash = createHash('sha256');
  for (const request of requests) hash.update(`${request.endpoint}\t${requestLine(request)}\n`);
  return { requests, issues, fingerprint: hash.digest('hex') };
}

/** `line 3: custom_id ...` lines for a person, at most `limit` of them plus a count of the rest. */
export function formatIssues(issues: readonly InputIssue[], limit = 50): string[] {
  const shown = issues.slice(0, limit).map((i) => (i.line > 0 ? `line ${i.line}: ${i.message}` : i.message));
  if (issues.length > limit) shown.push(`… and ${issues.length - limit} more`);
  return shown;
}
