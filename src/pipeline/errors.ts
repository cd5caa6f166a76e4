// The pipeline's own errors are built in the errors module (src/errors/pipeline-errors.ts); re-exported here for
// the pipeline's files and tests.
export {
  abortError,
  breakerOpenError,
  contextOverflowError,
  invalidBodyError,
  missingKeyError,
  streamError,
  unresolvedModelError,
} from '../errors/index.js';
export type { OverflowFacts } from '../errors/index.js';
