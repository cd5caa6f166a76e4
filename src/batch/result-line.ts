// The output file's lines: `{"custom_id", "response": {...}}` for a request that was answered and
// `{"custom_id", "error": {category, status, code, message, fix}}` for one that failed. The line is built once,
// when the request finishes, and stored as is: the output file is these strings in input order, so it is the
// same bytes however many times the run was stopped and resumed.
import type { ErrorCategory, TogetherError } from '../errors/index.js';

export interface ErrorLineFields {
  category: ErrorCategory;
  status: number | null;
  code: string | null;
  message: string;
  fix: string;
}

export function responseLine(customId: string, response: unknown): string {
  return JSON.stringify({ custom_id: customId, response });
}

export function errorFields(error: Pick<TogetherError, 'category' | 'status' | 'code' | 'message' | 'fix'>): ErrorLineFields {
  return { category: error.category, status: error.status ?? null, code: error.code ?? null, message: error.message, fix: error.fix };
}

export function errorLine(customId: string, error: Pick<TogetherError, 'category' | 'status' | 'code' | 'message' | 'fix'>): string {
  return JSON.stringify({ custom_id: customId, error: errorFields(error) });
}
