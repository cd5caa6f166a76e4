// Real Together error bodies, quoted from shared/reference/together-api-facts.md §3.3 (exact server strings).
// `<m>` placeholders in the facts file are filled with the model ids from the cited GitHub issues.

export const INVALID_API_KEY = {
  status: 401,
  body: {
    error: {
      message: 'Invalid API key provided. You can find your API key at https://api.together.xyz/settings/api-keys.',
      type: 'invalid_request_error',
      param: null,
      code: 'invalid_api_key',
    },
  },
};

export const MODEL_NOT_FOUND = {
  status: 404,
  body: {
    error: {
      message:
        'Unable to access model togethercomputer/evo-1-131k-base. Please visit https://api.together.xyz to see the list of supported models or contact the owner to request access.',
      type: 'invalid_request_error',
      param: null,
      code: 'model_not_found',
    },
  },
};

export const MODEL_NOT_SERVERLESS = {
  status: 400,
  body: {
    id: 'okkMWqL-2kFHot-a023f60e9b77ff7e',
    error: {
      message:
        'Unable to access non-serverless model togethercomputer/evo-1-8k-base. Please visit https://api.together.ai/models/togethercomputer/evo-1-8k-base to create and start a new dedicated endpoint for the model.',
      type: 'invalid_request_error',
      param: null,
      code: 'model_not_available',
    },
  },
};

export const ENDPOINT_NOT_RUNNING = {
  status: 400,
  body: {
    error: {
      message:
        'The dedicated endpoint for mistralai/Mixtral-8x22B-Instruct-v0.1 is not running. Please visit https://api.together.ai/models to start the endpoint.',
      type: 'invalid_request_error',
      param: null,
      code: 'dedicated_endpoint_not_running',
    },
  },
};

export const CONTEXT_LENGTH_MESSAGE =
  'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 3997 `inputs` tokens and 100 `max_new_tokens`';

/** The older form: a top-level `message`, as SWE-agent/SWE-agent#135 shows it. */
export const CONTEXT_LENGTH_LEGACY = { status: 400, body: { message: CONTEXT_LENGTH_MESSAGE } };

export const CONTEXT_LENGTH_ENVELOPE = {
  status: 400,
  body: { error: { message: CONTEXT_LENGTH_MESSAGE, type: 'invalid_request_error', param: null, code: null } },
};

export const CREDIT_LIMIT_402 = {
  status: 402,
  body: {
    id: 'oAbCdEf-2kFHot-8f1c2d3e4a5b6c7d',
    error: {
      message:
        'Credit limit exceeded. Please navigate to https://api.together.xyz/settings/billing to add credit or upgrade your plan.',
      type: 'credit_limit',
      param: null,
      code: null,
    },
  },
};

export const LEGACY_FREE_TIER_429 = {
  status: 429,
  body: {
    error: {
      message:
        'You have been rate limited. Your rate limit is 60 queries per minute. Please navigate to https://api.together.xyz/settings/billing to upgrade to a paid plan.',
      type: 'credit_limit',
      param: null,
      code: null,
    },
  },
};

export const MODEL_RATE_LIMIT_429 = {
  status: 429,
  body: {
    error: {
      message:
        'You have been rate limited for model meta-llama/Llama-Vision-Free. Your rate limit is 5 queries per minute. Please navigate to https://api.together.xyz/settings/billing to upgrade to a paid plan.',
      type: 'model_rate_limit',
      param: null,
      code: null,
    },
  },
};

/** The dynamic-limit message text is not known (facts §10); the code sits in `error.type` or `error.code`. */
export const DYNAMIC_REQUEST_429 = {
  status: 429,
  body: { error: { message: 'Rate limit exceeded.', type: 'dynamic_request_limited', param: null, code: null } },
};

export const DYNAMIC_TOKEN_429 = {
  status: 429,
  body: { error: { message: 'Rate limit exceeded.', type: 'rate_limit_error', param: null, code: 'dynamic_token_limited' } },
};

export const TIER_GATED_403 = {
  status: 403,
  body: {
    error: {
      message: 'Access to this model is allowed for build tier 2 and above. Please upgrade your tier to access this model.',
      type: 'invalid_request_error',
      param: null,
      code: null,
    },
  },
};

/** The Batch API's envelope (BatchErrorResponse). */
export const BATCH_NOT_FOUND = { status: 404, body: { error: 'batch not found: 4a1f5c2e-0000-4000-8000-000000000000' } };

/** The SDK check's wording for a bad fine-tune file (facts §3.3, TS lib/check-file.ts). */
export const INVALID_DATASET = {
  status: 400,
  body: {
    error: {
      message: 'Invalid format on line 3 of the input file. Expected a dictionary with a `messages` key.',
      type: 'invalid_request_error',
      param: null,
      code: null,
    },
  },
};

export const FINETUNE_JOB_NOT_FOUND = {
  status: 404,
  body: {
    error: {
      message: 'Fine-tune job ft-3b3c7f0e-1a2b-4c5d-9e8f-001122334455 not found',
      type: 'invalid_request_error',
      param: null,
      code: null,
    },
  },
};
