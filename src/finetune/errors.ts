// The finetune module's own failures, next to the TogetherErrors the API's answers classify into:
// a local file tether cannot upload (input), a dataset tether's validator refused (finding, with the report),
// a file Together's server-side check refused, and a job id the account does not have (with its nearest ids).
import { TogetherError, classify, notTogetherAnswerError } from '../errors/index.js';
import type { TogetherErrorFields } from '../errors/index.js';
import type { RawResponse } from '../api/index.js';
import type { ValidationReport } from '../datasets/index.js';
import type { FileObject, FineTuneJob, RequestOptions } from './types.js';

/** A problem with what was asked, not with the data or the API: a missing file, an unsupported extension. */
export class UploadInputError extends Error {
  override readonly name = 'UploadInputError';
}

/** tether's validator found errors in a fine-tuning file, so it was not uploaded. */
export class DatasetRefusedError extends Error {
  override readonly name = 'DatasetRefusedError';
  readonly fix: string;

  constructor(
    readonly path: string,
    readonly report: ValidationReport,
  ) {
    const errors = report.errors.length + Object.values(report.omitted).reduce((a, b) => a + b, 0);
    super(`${path} was not uploaded: tether's validator found ${errors === 1 ? '1 problem' : `${errors} problems`} Together would reject`);
    this.fix = `Fix the lines listed (\`tether validate ${path} --fix OUT\` repairs the mechanical ones), then upload again.`;
  }
}

/** Together's own check of an uploaded file failed (`processing_status` INVALID_FORMAT or FAILED). */
export class FileRejectedError extends TogetherError {
  constructor(
    readonly file: FileObject,
    fields: TogetherErrorFields,
  ) {
    super(fields);
  }
}

/** A job id the account does not have; `candidates` holds the account's jobs, nearest ids first. */
export class JobNotFoundError extends TogetherError {
  constructor(
    readonly candidates: FineTuneJob[],
    fields: TogetherErrorFields,
  ) {
    super(fields);
  }
}

/** A 2xx answer whose body is not what Together sends: something else answered. */
export function unexpectedBody(response: RawResponse, what: string): TogetherError {
  return notTogetherAnswerError({ status: response.status, message: `${response.url} answered ${response.status} but ${what}` });
}

/** The body of a 2xx answer as JSON; any other status is thrown as a classified TogetherError. */
export async function readJson(response: RawResponse, options: RequestOptions = {}): Promise<unknown> {
  const text = await response.body.text();
  if (response.status < 200 || response.status >= 300) {
    throw classify({ status: response.status, headers: response.headers, body: text, keySource: options.keySource });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw unexpectedBody(response, 'the body is not JSON');
  }
}
