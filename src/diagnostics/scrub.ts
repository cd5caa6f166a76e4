// Removing secrets from anything a diagnostics file holds. The scrubber itself lives in the errors module (the
// bottom of the module order), so that every text tether lets out — errors, answers, logs, journals, bundles —
// goes through the same one; diagnostics uses it from there.
export { base64Cores, createScrubber, isSecretName, scrubberFor } from '../errors/index.js';
export type { Scrubber } from '../errors/index.js';
