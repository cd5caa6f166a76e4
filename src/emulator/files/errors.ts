// Errors of the Files API, in Together's ErrorData envelope. Together's texts for these cases are not known
// (together-api-facts.md §10); ours say what was wrong and how to fix it.
import type { EmulatorError } from '../errors.js';

function error(status: number, message: string, code: string | null, param: string | null = null): EmulatorError {
  return { status, error: { message, type: 'invalid_request_error', param, code } };
}

export function fileNotFound(id: string): EmulatorError {
  return error(404, `File ${id} not found. List this account's files with GET /v1/files.`, 'not_found', 'id');
}

export function fileTooLarge(limitBytes: number): EmulatorError {
  return error(
    413,
    `The file is larger than ${limitBytes} bytes, the emulator's limit (config \`maxFileBytes\`). Split the data into smaller files or raise the limit.`,
    'file_too_large',
    'file',
  );
}

export function badUploadForm(message: string, param: string | null = null): EmulatorError {
  return error(400, message, null, param);
}

export function uploadUrlInvalid(used: boolean): EmulatorError {
  return error(
    403,
    used
      ? 'This upload URL was already used. Request a new one with POST /v1/files.'
      : 'The upload URL is not valid (unknown file or wrong signature). Use the Location header of POST /v1/files exactly.',
    'signature_mismatch',
  );
}

export function fileNotUploaded(id: string): EmulatorError {
  return error(400, `File ${id} has no content yet: PUT its bytes to the upload URL returned by POST /v1/files first.`, 'file_not_uploaded', 'id');
}

/** The emulator keeps files in memory, under a bound (files/store.ts): past it an upload is refused until files are deleted. */
export function storageFull(reason: 'bytes' | 'records', maxStoredBytes: number, maxFiles: number): EmulatorError {
  const held = reason === 'bytes' ? `${maxStoredBytes} bytes of files` : `${maxFiles} files`;
  return error(
    400,
    `The emulator already holds ${held}, the most it keeps (16 times \`maxFileBytes\`, or ${maxFiles} files). Delete files with DELETE /v1/files/{id}, or restart or reset the emulator.`,
    'storage_limit_exceeded',
    'file',
  );
}
