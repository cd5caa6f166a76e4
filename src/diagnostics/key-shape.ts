// What an API key looks like, said without ever showing it: its shape, its last four characters at most.
import { keyFingerprint } from '../policy/index.js';

export type KeyShape = 'together_v1' | 'legacy_hex' | 'other';

export function keyShape(key: string): KeyShape {
  if (/^tgp_v\d+_[A-Za-z0-9_-]{8,}$/.test(key)) return 'together_v1';
  if (/^[a-f0-9]{64}$/i.test(key)) return 'legacy_hex';
  return 'other';
}

export const KEY_SHAPE_WORDS: Record<KeyShape, string> = {
  together_v1: 'a Together key (tgp_v1_…)',
  legacy_hex: 'a Together key in the older 64-hex-character form',
  other: 'not in a Together key format',
};

/** `…Va12`: the last four characters, only for keys long enough that four reveal little; else undefined. */
export function keyHint(key: string): string | undefined {
  return key.length >= 16 ? `…${key.slice(-4)}` : undefined;
}

/** "ending …Va12", or the length alone for a key too short to show any of it. */
export function keyEnding(key: string): string {
  const hint = keyHint(key);
  return hint === undefined ? `${key.length} characters long` : `ending ${hint}`;
}

/** Something wrong with how the key was pasted, or undefined when it looks clean. */
export function keyPasteProblem(raw: string): { problem: string; fix: string } | undefined {
  const key = raw.trim();
  if (/^bearer\s/i.test(key)) {
    return { problem: 'starts with "Bearer "', fix: 'Give the key alone; tether adds the "Authorization: Bearer" header itself.' };
  }
  if (/^["'`]|["'`]$/.test(key)) {
    return { problem: 'is wrapped in quote characters', fix: 'Remove the quotes around the key (a .env file or shell export may have kept them).' };
  }
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(key)) {
    return { problem: 'contains spaces, line breaks or control characters', fix: 'Copy the key again from https://api.together.ai/settings/api-keys; it is one unbroken string.' };
  }
  if (/[^\x21-\x7e]/.test(key)) {
    return { problem: 'contains non-ASCII characters (a smart quote or a look-alike letter?)', fix: 'Copy the key again from https://api.together.ai/settings/api-keys, with plain-text paste.' };
  }
  return undefined;
}

export interface KeyFacts {
  /** Last four characters, e.g. `…Va12` (undefined for a short key). */
  hint: string | undefined;
  /** policy's keyFingerprint: what pacing state and logs name the key by. */
  fingerprint: string;
  shape: KeyShape;
  length: number;
}

export function keyFacts(key: string): KeyFacts {
  return { hint: keyHint(key), fingerprint: keyFingerprint(key), shape: keyShape(key), length: key.length };
}
