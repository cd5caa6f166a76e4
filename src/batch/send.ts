// The one thing the runner needs from the pipeline: its `send`. Typed from the pipeline's fixed contract, so a
// fake (in tests) and the real pipeline are interchangeable.
import type { Endpoint, Pipeline } from '../pipeline/index.js';

export type { Endpoint };
export type SendFn = Pipeline['send'];
