// Public API of the config-file module: JSON or YAML config files read without ever quoting their content.
export { ConfigFileError, parseConfigText, readConfigFile } from './read.js';
export type { ConfigText } from './read.js';
export { describeConfigIssues, formatConfigPath, isPrintableFieldName } from './issues.js';
