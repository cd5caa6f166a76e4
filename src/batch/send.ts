// The one thing the runner needs from the pipeline: its `send`. Typed from the pipeline's fixed contract, so a
// fake (in tests) and the real pipeline are interchangeable.
import type { Pipeline, TextEndpoint } from '../pipeline/index.js';

/** The endpoints a batch line may name: Together's Batch API takes these three. */
export type Endpoint = TextEndpoint;
export type SendFn = Pipeline['send'];
