// `tether debug-bundle`: one JSON file a support engineer can read without a back-and-forth — a short summary on
// top, then versions, environment, the redacted config, the doctor's results, the journal's last errors, and the
// breaker and pacing state. Every secret tether can find is scrubbed in every form before anything is written.
import { writeFileSync } from 'node:fs';
import { formatDuration } from '../policy/index.js';
import type { DoctorOptions } from './doctor/context.js';
import { runDoctor } from './doctor/run.js';
import { readJournal, type JournalEntry } from './journal.js';
import { keyEnding } from './key-shape.js';
import { defaultJournalPath, defaultStatePath } from './paths.js';
import { createScrubber, isSecretName } from './scrub.js';
import { readStateFile, type SavedState } from './state-file.js';
import type { DoctorReport } from './types.js';
import { apiKeyIn, loadUserConfig, type UserConfig } from './user-config.js';
import { collectVersions, type Versions } from './versions.js';
import { withoutCredentials } from './proxy.js';

export interface DebugBundleOptions extends DoctorOptions {
  /** Default: $TETHER_HOME/errors.jsonl, else ~/.tether/errors.jsonl. */
  journalPath?: string | undefined;
  /** Default: $TETHER_HOME/state.json, else ~/.tether/state.json. */
  statePath?: string | undefined;
  /** How many journal entries to include (default 50). */
  errors?: number | undefined;
  /** Run the doctor (default true); false for an offline bundle. */
  doctor?: boolean | undefined;
  /** A doctor report already made (the doctor is then not run again). */
  doctorReport?: DoctorReport | undefined;
}

export interface DebugBundle {
  /** A few lines to read first. */
  summary: string[];
  generatedAt: string;
  versions: Versions;
  /** `NAME=value` for the variables that change tether's behaviour; credentials shown only as "set". */
  environment: string[];
  config: { path?: string; format?: string; content?: unknown; note?: string };
  doctor: DoctorReport | { note: string };
  errors: { journal: string; files: string[]; shown: number; unreadableLines: number; byCategory: Record<string, number>; entries: JournalEntry[]; note?: string };
  state: {
    breakers: Array<{ model: string; state: string; since?: string; source: 'state file' | 'journal' }>;
    pacing?: SavedState['pacing'];
    savedAt?: string;
    note?: string;
  };
  redaction: string;
}

/** Environment variables worth showing (values of the credential ones are never shown). */
const SHOWN_ENV = /^(TOGETHER_[A-Z_]+|TETHER_[A-Z_]+|https?_proxy|HTTPS?_PROXY|no_proxy|NO_PROXY|NODE_EXTRA_CA_CERTS|NODE_TLS_REJECT_UNAUTHORIZED|NODE_OPTIONS|NODE_ENV)$/;

function describeEnv(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value === undefined || !SHOWN_ENV.test(name)) continue;
    let shown = value;
    if (name === 'TOGETHER_API_KEY') shown = value.trim() === '' ? '(set but empty)' : `(set, ${keyEnding(value.trim())})`;
    else if (isSecretName(name) || name === 'TOGETHER_CUSTOM_HEADERS') shown = `(set, ${value.length} characters, not shown)`;
    else if (/proxy$/i.test(name) && !/^no_proxy$/i.test(name)) shown = withoutCredentials(value);
    out.push(`${name}=${shown}`);
  }
  return out;
}

/** Every credential-named string in a parsed config file. */
function secretsInData(data: unknown, depth = 0, underSecret = false): string[] {
  if (depth > 32) return [];
  if (typeof data === 'string') return underSecret ? [data] : [];
  if (Array.isArray(data)) return data.flatMap((item) => secretsInData(item, depth + 1, underSecret));
  if (typeof data === 'object' && data !== null) {
    return Object.entries(data).flatMap(([key, value]) => secretsInData(value, depth + 1, underSecret || isSecretName(key)));
  }
  return [];
}

/** Every value tether knows to be secret: keys from flags, the environment and the config, proxy passwords. */
function collectSecrets(options: DebugBundleOptions, env: NodeJS.ProcessEnv, config: UserConfig | undefined): string[] {
  const secrets: Array<string | undefined> = [options.apiKey, env['TOGETHER_API_KEY']];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (isSecretName(name)) secrets.push(value);
    if (name === 'TOGETHER_CUSTOM_HEADERS') secrets.push(...value.split('\n').map((line) => line.slice(line.indexOf(':') + 1)));
    if (/proxy$/i.test(name)) {
      try {
        const url = new URL(value);
        secrets.push(decodeURIComponent(url.password), url.password);
      } catch {
        // not a URL: nothing to take from it
      }
    }
  }
  if (config !== undefined) {
    secrets.push(apiKeyIn(config.data)?.value, ...secretsInData(config.data));
  }
  // A `Bearer xyz` value is a secret as a whole and as its token.
  const out = secrets.flatMap((secret) => {
    if (secret === undefined) return [];
    const token = /^\s*(?:bearer|basic)\s+(\S+)\s*$/i.exec(secret)?.[1];
    return token === undefined ? [secret.trim()] : [secret.trim(), token];
  });
  return out;
}

function latestBreakers(entries: readonly JournalEntry[]): DebugBundle['state']['breakers'] {
  const byModel = new Map<string, { state: string; since: string }>();
  for (const entry of entries) if (entry.kind === 'breaker' && entry.model !== undefined && entry.to !== undefined) byModel.set(entry.model, { state: entry.to, since: entry.time });
  return [...byModel].map(([model, { state, since }]) => ({ model, state, since, source: 'journal' as const }));
}

function summaryLines(bundle: Omit<DebugBundle, 'summary'>, secretCount: number): string[] {
  const v = bundle.versions;
  const lines = [`tether ${v.tether}, Node ${v.node}, ${v.os.type} ${v.os.release} ${v.os.arch}; generated ${bundle.generatedAt}`];
  if ('steps' in bundle.doctor) {
    const report = bundle.doctor;
    const { pass, warn, fail, skip } = report.counts;
    lines.push(`doctor (${report.baseUrl ?? 'no base URL'}): ${pass} passed, ${warn} warnings, ${fail} failed, ${skip} skipped in ${formatDuration(report.elapsedMs)}`);
    for (const step of report.steps.filter((s) => s.status === 'fail' || s.status === 'warn')) {
      lines.push(`  ${step.status === 'fail' ? 'FAIL' : 'warn'} ${step.title}: ${step.summary}`);
    }
  } else {
    lines.push(`doctor: ${bundle.doctor.note}`);
  }
  const errors = bundle.errors;
  if (errors.entries.length === 0) lines.push(`errors: none journaled (${errors.journal})`);
  else {
    const last = [...errors.entries].reverse().find((e) => e.kind !== 'breaker');
    const counts = Object.entries(errors.byCategory).map(([category, n]) => `${category} ×${n}`).join(', ');
    lines.push(`errors: last ${errors.shown} journal entries: ${counts || 'breaker changes only'}`);
    if (last !== undefined) {
      const what = [last.time, last.kind, last.status, last.category, last.model, last.requestId ? `request ${last.requestId}` : undefined].filter((part) => part !== undefined);
      lines.push(`  latest: ${what.join(' ')}`);
    }
  }
  const open = bundle.state.breakers.filter((b) => b.state !== 'closed');
  lines.push(open.length > 0 ? `breakers not closed: ${open.map((b) => `${b.model} ${b.state}`).join(', ')}` : 'breakers: none open as far as tether knows');
  lines.push(`redaction: ${secretCount} secret value${secretCount === 1 ? '' : 's'} removed in every form (as is, URL-encoded, base64, base64url)`);
  return lines;
}

/** Builds the bundle (running the doctor unless told not to) and its scrubbed JSON text. */
export async function buildDebugBundle(options: DebugBundleOptions = {}): Promise<{ bundle: DebugBundle; json: string }> {
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now;
  let config: UserConfig | undefined;
  let configNote: string | undefined;
  if (options.configPath !== undefined) {
    try {
      config = loadUserConfig(options.configPath);
    } catch (error) {
      configNote = error instanceof Error ? error.message : String(error);
    }
  } else configNote = 'no --config given';

  const doctor: DebugBundle['doctor'] =
    options.doctorReport ?? (options.doctor === false ? { note: 'not run (--no-doctor)' } : await runDoctor({ ...options, env, now }));

  const journalPath = options.journalPath ?? defaultJournalPath(env);
  const journal = readJournal(journalPath, options.errors ?? 50);
  const byCategory: Record<string, number> = {};
  // Requests tether stopped before sending are not errors Together returned: they are not counted.
  for (const entry of journal.entries) if (entry.category !== undefined && entry.kind !== 'not-sent') byCategory[entry.category] = (byCategory[entry.category] ?? 0) + 1;

  const statePath = options.statePath ?? defaultStatePath(env);
  const saved = readStateFile(statePath);
  const state: DebugBundle['state'] = saved.state
    ? { breakers: saved.state.breakers.map((b) => ({ model: b.model, state: b.state, source: 'state file' as const })), pacing: saved.state.pacing, savedAt: saved.state.savedAt }
    : {
        breakers: latestBreakers(journal.entries),
        note: `${saved.problem ?? `no saved state at ${statePath}`}: pacing state lives in the running process (a gateway saves it there); breaker states are the journal's last recorded transitions`,
      };

  const unscrubbed: Omit<DebugBundle, 'summary'> = {
    generatedAt: new Date(now()).toISOString(),
    versions: collectVersions(),
    environment: describeEnv(env),
    config: config ? { path: config.path, format: config.format, content: config.data } : { ...(options.configPath ? { path: options.configPath } : {}), note: configNote ?? '' },
    doctor,
    errors: {
      journal: journalPath,
      files: journal.files,
      shown: journal.entries.length,
      unreadableLines: journal.skipped,
      byCategory,
      entries: journal.entries,
      ...(journal.files.length === 0 ? { note: `no journal at ${journalPath} yet: errors are journaled by front doors that attach it` } : {}),
    },
    state,
    redaction: 'Credential fields are replaced by "[redacted]"; keys appear at most as their last four characters.',
  };
  const scrubber = createScrubber(collectSecrets(options, env, config));
  const body = scrubber.value(unscrubbed);
  const bundle: DebugBundle = { summary: summaryLines(body, scrubber.secrets.length).map((line) => scrubber.text(line)), ...body };
  // A last pass over the text itself, for anything a structure hid (a secret split across a key and a value…).
  const json = scrubber.literal(`${JSON.stringify(bundle, null, 2)}\n`);
  return { bundle, json };
}

/** Writes the bundle owner-readable only (it holds the account's error history). */
export function writeDebugBundle(path: string, json: string): void {
  writeFileSync(path, json, { mode: 0o600 });
}
