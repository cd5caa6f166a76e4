// Scrubbing keys out of a text answer that streams through (a file's JSONL content, a plain-text download) without
// holding it whole. Each piece is appended to what is held, the whole is scrubbed, and all but the last `window`
// characters go out. A key form cut by a chunk boundary sits, incomplete, within the last few dozen characters, so it
// is still held when the rest of it arrives and is scrubbed whole; the window is many times the longest form.
import type { Scrubber } from '../errors/index.js';

/** Characters held back at least: many times the longest form of any key (keys are ~64 characters). */
export const MIN_SCRUB_WINDOW = 4096;

export interface StreamScrubber {
  /** Takes the next piece of text; returns what may be sent now (scrubbed). */
  push(text: string): string;
  /** The end of the text: the rest, scrubbed. */
  end(): string;
}

/** `window` defaults to MIN_SCRUB_WINDOW, or 16 times the longest secret when that is more. */
export function createStreamScrubber(scrubber: Scrubber, window?: number): StreamScrubber {
  const hold = window ?? Math.max(MIN_SCRUB_WINDOW, 16 * scrubber.secrets.reduce((max, secret) => Math.max(max, secret.length), 0));
  let held = '';
  return {
    push(text) {
      held = scrubber.exact(held + text);
      if (held.length <= hold) return '';
      const out = held.slice(0, held.length - hold);
      held = held.slice(held.length - hold);
      return out;
    },
    end() {
      const out = scrubber.exact(held);
      held = '';
      return out;
    },
  };
}
