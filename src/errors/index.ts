export { TogetherError, isTogetherError, ERROR_CATEGORIES } from './together-error.js';
export type { ErrorCategory, TogetherErrorFields } from './together-error.js';
