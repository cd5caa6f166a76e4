// Shapes shared by the dataset validator's stages (line checks, chunk results, the merged report).
import type { RuleId } from './rules.js';

/** The four JSONL layouts Together fine-tunes on, named as the docs name them, and pre-tokenized Parquet rows. */
export type DatasetFormat = 'text' | 'conversation' | 'instruction' | 'preference' | 'tokenized';

/** Which of Together's disagreeing rule sets to apply (the README's `tether validate` section explains the choice). */
export type ValidationProfile = 'current' | 'legacy';

/** The options that change what a line's verdict is; the same for every line of a run. */
export interface RuleOptions {
  /** `current`: Together's current docs (tool calling, `tool` role). `legacy`: the v1 Python SDK / TS SDK checks. */
  profile: ValidationProfile;
  /** Accept consecutive messages of the same role (the newer Python SDK dropped that check). */
  allowSameRoleRuns: boolean;
}

export const DEFAULT_RULE_OPTIONS: RuleOptions = { profile: 'current', allowSameRoleRuns: false };

/** Errors (and warnings) kept per rule by default; the rest are only counted. */
export const DEFAULT_MAX_ERRORS = 20;

/** One finding: 1-based line (0 for the whole file), a stable rule id and a message saying how to fix it. */
export interface Issue {
  line: number;
  rule: RuleId;
  message: string;
}

/** A problem found inside one line, before it is given its line number. */
export interface Problem {
  rule: RuleId;
  message: string;
}
