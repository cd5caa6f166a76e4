// Public API of the datasets module: streaming validation of fine-tuning files and mechanical repair.
export { validateFile, validateBytes, MAX_FILE_BYTES, DEFAULT_MAX_ERRORS } from './validate.js';
export type { ValidateOptions } from './validate.js';
export type { ValidationReport, ValidationStats, TokenStats } from './report.js';
export { repairFile } from './fix.js';
export type { FixReport, FixChange, FixKind, RepairOptions } from './fix.js';
export { RULES, RULE_IDS, severityOf } from './rules.js';
export type { RuleId, RuleInfo, Severity } from './rules.js';
export { DatasetInputError } from './errors.js';
export type { FineTuneModel } from './model.js';
export { checkSample, detectFormat } from './schema.js';
export type { SampleVerdict } from './schema.js';
export { DEFAULT_RULE_OPTIONS } from './types.js';
export type { DatasetFormat, Issue, RuleOptions, ValidationProfile } from './types.js';
