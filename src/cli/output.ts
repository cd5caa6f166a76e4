// The CLI's one way to write: every human line passes through terminalSafe, every JSON document through
// terminalSafeJson, and the only raw control sequences written are this file's own progress-line codes.
// Commands never call process.stdout/stderr.write themselves (test/cli/output-guard.test.ts checks it), so
// no untrusted text reaches the terminal unescaped, whichever command prints it.
import { terminalSafe, terminalSafeJson } from './terminal-text.js';

/** Back to the start of the line and erase it. */
const ERASE_LINE = '\r\x1b[2K';

/** Human output on stdout. */
export function printOut(text: string): void {
  process.stdout.write(terminalSafe(text, { multiline: true }));
}

/** Human output on stderr: errors, warnings, progress notes. */
export function printErr(text: string): void {
  process.stderr.write(terminalSafe(text, { multiline: true }));
}

/** One JSON document and a newline on stdout (`indent` as JSON.stringify's). */
export function printJson(value: unknown, indent?: number): void {
  process.stdout.write(`${terminalSafeJson(JSON.stringify(value, null, indent))}\n`);
}

/** Text that is already JSON (a prepared bundle), written as it is apart from the terminal-unsafe characters. */
export function printJsonText(json: string): void {
  process.stdout.write(terminalSafeJson(json));
}

/** A progress line on stderr that redraws itself in place; `text` is shown on one line, controls escaped. */
export function drawProgress(text: string): void {
  process.stderr.write(`${ERASE_LINE}${terminalSafe(text)}`);
}

/** Erase the progress line. */
export function clearProgress(): void {
  process.stderr.write(ERASE_LINE);
}
