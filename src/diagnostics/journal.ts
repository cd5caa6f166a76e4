// The error journal: a local, size-bounded JSON-lines file of classified errors (and retries and breaker changes),
// written by subscribing to the pipeline's PolicyEvents, read back by `tether debug-bundle`.
//
// Bounded by rotation: when the current file reaches half of `maxBytes` (or half of `maxEntries`), it is renamed
// to `<path>.1` (replacing the older one) and a new file starts, so the two together never exceed the limits and
// no file is ever rewritten in place. Writes are synchronous appends: an entry is on disk before the emitter
// returns, so a short-lived command loses nothing when it exits; errors are rare enough for that to cost nothing.
import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ErrorCategory, TogetherError } from '../errors/index.js';
import type { BreakerState, PolicyEvents } from '../policy/index.js';
import { createScrubber, type Scrubber } from './scrub.js';
import { defaultJournalPath } from './paths.js';

export interface JournalEntry {
  /** ISO time the event happened. */
  time: string;
  /**
   * failed: a request ended in this error. retry: an attempt failed and was retried. breaker: a circuit changed.
   * not-sent: tether stopped the request before sending it (e.g. after a 402 stopped the key); no status of its own.
   */
  kind: 'failed' | 'retry' | 'breaker' | 'not-sent';
  model?: string;
  category?: ErrorCategory;
  status?: number;
  code?: string;
  message?: string;
  fix?: string;
  retryable?: boolean;
  requestId?: string;
  /** The caller's own request id (a gateway's), when the event carries one. */
  callerRequestId?: string;
  attempts?: number;
  elapsedMs?: number;
  /** retry: the wait before the next attempt, and whether the server asked for it. */
  delayMs?: number;
  serverAsked?: boolean;
  /** breaker: the transition. */
  from?: BreakerState;
  to?: BreakerState;
  /** breaker: true when another gateway made the transition and this one applied it (shared through Redis). */
  peer?: boolean;
  /** Request-id, timing and rate-limit headers of the failed response, when the event carries them. */
  headers?: Record<string, string>;
}

export interface ErrorJournalOptions {
  /** Default: $TETHER_HOME/errors.jsonl, else ~/.tether/errors.jsonl. */
  path?: string | undefined;
  /** Both files together stay under this (default 1 MiB, at least 8 KiB). */
  maxBytes?: number | undefined;
  /** Both files together hold at most this many entries (default 1000, at least 2). */
  maxEntries?: number | undefined;
  /** Exact values to scrub besides anything shaped like a key (the pipeline's API keys). */
  secrets?: readonly string[] | undefined;
  /** Record failed attempts that were retried (default true). */
  retries?: boolean | undefined;
  /** Record circuit breaker transitions (default true). */
  breakers?: boolean | undefined;
  /** Told about a failed write (default: one process warning). The request goes on regardless. */
  onError?: ((error: unknown) => void) | undefined;
  now?: (() => number) | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

export interface ErrorJournal {
  readonly path: string;
  /** Record an entry directly (a front door that catches an error outside the pipeline's events). */
  record(entry: JournalEntry): void;
  /** Stop listening to the events. */
  detach(): void;
}

export const DEFAULT_JOURNAL_MAX_BYTES = 1024 * 1024;
export const DEFAULT_JOURNAL_MAX_ENTRIES = 1000;
const MIN_MAX_BYTES = 8 * 1024;
/** Longest text field kept, so one entry cannot crowd out the rest. */
const MAX_TEXT = 1000;

/** Headers worth keeping for support: ids, Together's timings, rate-limit state. Nothing else is ever stored. */
const KEPT_HEADERS = /^(x-request-id|cf-ray|x-together-traceid|x-total-time|x-api-received|x-api-call-start|x-api-call-end|x-inference-version|x-cluster|x-hostname|retry-after|retry-after-ms|date|x-ratelimit-[a-z-]+|x-tokenlimit-[a-z-]+)$/;

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

/** The kept headers from a record, array of pairs or Headers object, scrubbed. */
export function pickJournalHeaders(headers: unknown, scrubber: Scrubber): Record<string, string> | undefined {
  let pairs: Array<[string, unknown]> = [];
  if (headers instanceof Headers) pairs = [...headers.entries()];
  else if (Array.isArray(headers)) pairs = headers.filter((pair): pair is [string, unknown] => Array.isArray(pair) && typeof pair[0] === 'string');
  else if (typeof headers === 'object' && headers !== null) pairs = Object.entries(headers);
  const out: Record<string, string> = {};
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase();
    if (!KEPT_HEADERS.test(lower)) continue;
    const text = Array.isArray(value) ? value.join(', ') : typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
    if (text !== undefined) out[lower] = clip(scrubber.text(text));
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function definedOnly<T extends object>(entry: T): T {
  return Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined)) as T;
}

/** A request tether stopped locally: the stopping error's text, without the status and ids of a response it never got. */
function notSentEntry(entry: JournalEntry): JournalEntry {
  const { status: _status, requestId: _requestId, headers: _headers, ...rest } = entry;
  return { ...rest, kind: 'not-sent' };
}

/** A journal entry for a classified error: the fields a support engineer asks for, scrubbed. */
export function entryFromError(
  error: TogetherError,
  context: { kind: 'failed' | 'retry'; at: number; model?: string | undefined; attempts?: number; elapsedMs?: number; delayMs?: number; serverAsked?: boolean; headers?: unknown },
  scrubber: Scrubber = createScrubber([]),
): JournalEntry {
  const text = (value: string | undefined): string | undefined => (value === undefined ? undefined : clip(scrubber.text(value)));
  // A pipeline may attach the failed response's headers to the event or to the error; either is picked up.
  const headers = context.headers ?? (error as { headers?: unknown }).headers;
  return definedOnly<JournalEntry>({
    time: new Date(context.at).toISOString(),
    kind: context.kind,
    model: text(context.model ?? error.model),
    category: error.category,
    status: error.status,
    code: text(error.code),
    message: text(error.message),
    fix: text(error.fix),
    retryable: error.retryable,
    requestId: text(error.requestId),
    attempts: context.attempts,
    elapsedMs: context.elapsedMs === undefined ? undefined : Math.round(context.elapsedMs),
    delayMs: context.delayMs === undefined ? undefined : Math.round(context.delayMs),
    serverAsked: context.serverAsked,
    headers: headers === undefined ? undefined : pickJournalHeaders(headers, scrubber),
  });
}

function positiveInteger(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new TypeError(`attachErrorJournal: ${name} must be an integer of at least ${min}, got ${String(value)}`);
  return value;
}

/** Appends lines to a journal file, rotating it to `<path>.1` before it passes half the limits. */
class JournalFile {
  private size = -1;
  private count = 0;
  private dirReady = false;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly maxEntries: number,
  ) {}

  append(line: string): void {
    if (!this.dirReady) {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      this.dirReady = true;
    }
    const bytes = Buffer.byteLength(line);
    const onDisk = fileSize(this.path);
    if (this.size < 0 || onDisk < this.size) {
      // First write, or another process rotated the file: count what is there now.
      this.count = onDisk === 0 ? 0 : countLines(this.path);
    }
    this.size = onDisk;
    if (this.size > 0 && (this.size + bytes > this.maxBytes / 2 || this.count + 1 > this.maxEntries / 2)) {
      renameSync(this.path, `${this.path}.1`);
      this.size = 0;
      this.count = 0;
    }
    appendFileSync(this.path, line, { mode: 0o600 });
    this.size += bytes;
    this.count += 1;
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function countLines(path: string): number {
  try {
    const text = readFileSync(path, 'utf8');
    let count = 0;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
    return count;
  } catch {
    return 0;
  }
}

/**
 * Subscribes a journal to a pipeline's events: every failed request (`outcome` with an error), and by default
 * every retried attempt and breaker transition, is appended as one scrubbed JSON line.
 */
export function attachErrorJournal(events: PolicyEvents, options: ErrorJournalOptions = {}): ErrorJournal {
  const path = options.path ?? defaultJournalPath(options.env);
  const maxBytes = positiveInteger('maxBytes', options.maxBytes, DEFAULT_JOURNAL_MAX_BYTES, MIN_MAX_BYTES);
  const maxEntries = positiveInteger('maxEntries', options.maxEntries, DEFAULT_JOURNAL_MAX_ENTRIES, 2);
  const scrubber = createScrubber(options.secrets ?? []);
  const file = new JournalFile(path, maxBytes, maxEntries);
  let warned = false;
  const onError =
    options.onError ??
    ((error: unknown) => {
      if (warned) return;
      warned = true;
      const code = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
      process.emitWarning(`tether could not write its error journal ${path} (${code}); errors are not being journaled.`);
    });

  const record = (entry: JournalEntry): void => {
    try {
      file.append(`${JSON.stringify(scrubber.value(entry))}\n`);
    } catch (error) {
      onError(error);
    }
  };

  const unsubscribe: Array<() => void> = [
    events.on('outcome', (event) => {
      if (event.ok || event.error === undefined) return;
      const { headers, requestId } = event as { headers?: unknown; requestId?: unknown };
      // No attempt means nothing was sent: the error is the one that stopped the key, not an answer to this request.
      const sent = event.attempts > 0;
      const entry = sent
        ? entryFromError(event.error, { kind: 'failed', at: event.at, model: event.model, attempts: event.attempts, elapsedMs: event.elapsedMs, headers }, scrubber)
        : notSentEntry(entryFromError(event.error, { kind: 'failed', at: event.at, model: event.model, attempts: 0 }, scrubber));
      record(typeof requestId === 'string' ? { ...entry, callerRequestId: clip(requestId) } : entry);
    }),
  ];
  if (options.retries ?? true) {
    unsubscribe.push(
      events.on('retry', (event) => {
        const headers = (event as { headers?: unknown }).headers;
        record(
          entryFromError(
            event.error,
            { kind: 'retry', at: event.at, model: event.model, attempts: event.attempt, delayMs: event.delayMs, serverAsked: event.serverAsked, headers },
            scrubber,
          ),
        );
      }),
    );
  }
  if (options.breakers ?? true) {
    unsubscribe.push(
      events.on('breaker', (event) => {
        const entry: JournalEntry = { time: new Date(event.at).toISOString(), kind: 'breaker', model: scrubber.text(event.model), from: event.from, to: event.to };
        if (event.source === 'peer') entry.peer = true;
        record(entry);
      }),
    );
  }

  return {
    path,
    record,
    detach() {
      for (const off of unsubscribe.splice(0)) off();
    },
  };
}

export interface JournalRead {
  /** Oldest first. */
  entries: JournalEntry[];
  /** Lines that were not a JSON object (a torn write, a hand edit). */
  skipped: number;
  /** The files read, oldest first (only those that exist). */
  files: string[];
}

function isEntry(value: unknown): value is JournalEntry {
  return typeof value === 'object' && value !== null && typeof (value as { time?: unknown }).time === 'string' && typeof (value as { kind?: unknown }).kind === 'string';
}

/** The last `n` entries of a journal (its rotated file included), and how many lines could not be read. */
export function readJournal(path: string = defaultJournalPath(), n: number = 50): JournalRead {
  const out: JournalRead = { entries: [], skipped: 0, files: [] };
  for (const file of [`${path}.1`, path]) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    out.files.push(file);
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const parsed: unknown = JSON.parse(line);
        if (isEntry(parsed)) out.entries.push(parsed);
        else out.skipped++;
      } catch {
        out.skipped++;
      }
    }
  }
  out.entries = n <= 0 ? [] : out.entries.slice(-n);
  return out;
}

/** The last `n` entries of a journal, oldest first; an absent journal reads as empty. */
export function readErrorJournal(path: string = defaultJournalPath(), n: number = 50): JournalEntry[] {
  return readJournal(path, n).entries;
}
