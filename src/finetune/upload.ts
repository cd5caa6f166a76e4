// uploadFile(): validate first (tether's own validator, for `fine-tune` files), then stream the file to Together,
// then wait for Together's server-side check and report its verdict.
//
// Two upload flows exist (together-api-facts.md §2.3). The default is `redirect` — POST /files (form fields)
// → 302 with Location (a presigned upload URL) and X-Together-File-Id → PUT the raw bytes there → GET
// /files/{id} — because it is what both official SDKs do today (together-ai `lib/upload.ts`, together Python
// `filemanager.py`), so it is the path Together's own clients keep working; the bytes go straight to object
// storage, and the API key is never sent there. `multipart` is the OpenAPI's POST /files/upload in one request:
// for proxies or gateways that do not pass a 302 on, or cannot reach the storage host.
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { PATHS, createTransport } from '../api/index.js';
import type { RawResponse, Transport } from '../api/index.js';
import { DatasetInputError, validateFile } from '../datasets/index.js';
import type { ValidateOptions, ValidationReport } from '../datasets/index.js';
import type { TogetherError} from '../errors/index.js';
import { classify, fileProcessingTimeoutError, parseErrorBody, storageUploadError } from '../errors/index.js';
import { DatasetRefusedError, FileRejectedError, UploadInputError, readJson, unexpectedBody } from './errors.js';
import { getFile, listFiles } from './files.js';
import { createdSince, isAmbiguousFailure, nothingCreatedError, outcomeUnknownError } from './ambiguous.js';
import { sleep } from '../policy/index.js';
import { multipartBody, rawFileBody } from './upload-body.js';
import type { LocalFile } from './upload-body.js';
import { fileObjectSchema } from './types.js';
import type { FileObject, FilePurpose, RequestOptions, UploadFlow } from './types.js';

export const DEFAULT_UPLOAD_FLOW: UploadFlow = 'redirect';

export interface UploadProgress {
  /** `validate`: tether's check; `upload`: bytes sent; `process`: waiting for Together's check. */
  phase: 'validate' | 'upload' | 'process';
  done: number;
  total: number;
}

export interface UploadOptions extends RequestOptions, UploadRecovery {
  /** Default `fine-tune`. */
  purpose?: FilePurpose;
  /** Run tether's validator before uploading a `fine-tune` file (default true); an invalid file is never sent. */
  validate?: boolean;
  /** Passed to the validator (rule profile, error cap, a model to count tokens for…). */
  validateOptions?: Omit<ValidateOptions, 'onProgress'>;
  flow?: UploadFlow;
  /** The name Together stores (default: the file's base name). */
  fileName?: string;
  onProgress?: (progress: UploadProgress) => void;
  /** Wait while Together checks a `fine-tune` file (processing_status PENDING/QUEUED/RUNNING); default true. */
  waitForProcessing?: boolean;
  /** Default 2 s. */
  processingIntervalMs?: number;
  /** Default 10 min. */
  processingTimeoutMs?: number;
}

export interface UploadRecovery {
  /** Told when an upload whose answer was lost turned out to have made the file (see lookForUpload). */
  onRecovered?: (file: FileObject, failure: TogetherError) => void;
  /** How long to wait before listing files a second time when the first look finds none (default 1000 ms). */
  relookDelayMs?: number;
}

export interface UploadResult {
  file: FileObject;
  flow: UploadFlow;
  /** tether's report, when the file was validated before upload. */
  validation?: ValidationReport;
}

const FILE_TYPES = ['jsonl', 'parquet', 'csv'] as const;
type FileType = (typeof FILE_TYPES)[number];
const IN_PROGRESS = new Set(['PENDING', 'QUEUED', 'RUNNING']);
const REJECTED = new Set(['INVALID_FORMAT', 'FAILED']);

async function localFile(path: string, name: string | undefined): Promise<LocalFile & { type: FileType }> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UploadInputError(`${path} is not a regular file`);
    size = info.size;
  } catch (error) {
    if (error instanceof UploadInputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UploadInputError(code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path} (${code ?? String(error)})`);
  }
  // Together's SDKs check the extension exactly (case-sensitive).
  const type = FILE_TYPES.find((t) => extname(path) === `.${t}`);
  if (type === undefined) throw new UploadInputError(`${path}: Together accepts .jsonl, .parquet or .csv files (the extension is case-sensitive); rename the file`);
  if (size === 0) throw new UploadInputError(`${path} is empty; Together needs at least one sample`);
  return { path, name: name ?? basename(path), size, type };
}

async function validateFirst(file: LocalFile, options: UploadOptions): Promise<ValidationReport> {
  try {
    const report = await validateFile(file.path, {
      ...options.validateOptions,
      onProgress: (done, total) => options.onProgress?.({ phase: 'validate', done, total }),
    });
    if (!report.valid) throw new DatasetRefusedError(file.path, report);
    return report;
  } catch (error) {
    if (error instanceof DatasetInputError) throw new UploadInputError(error.message);
    throw error;
  }
}

function progressReporter(file: LocalFile, options: UploadOptions): (done: number) => void {
  return (done) => options.onProgress?.({ phase: 'upload', done, total: file.size });
}

/** What object storage said: S3-style `<Error><Code>…<Message>…` XML, else Together's JSON envelope or the text. */
function storageDetail(response: RawResponse, text: string): string | undefined {
  const xml = (tag: string): string | undefined => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(text)?.[1]?.trim();
  const code = xml('Code');
  const message = xml('Message');
  if (code !== undefined || message !== undefined) return [code, message].filter(Boolean).join(': ');
  const body = parseErrorBody(text, response.headers['content-type']);
  return body.message ?? body.code;
}

/** A failed PUT to the presigned URL: object storage answered, not Together's API, so the key is not the problem. */
function storageError(response: RawResponse, text: string): TogetherError {
  const detail = storageDetail(response, text);
  return storageUploadError(response.status, detail);
}

async function redirectUpload(transport: Transport, file: LocalFile & { type: FileType }, purpose: FilePurpose, options: UploadOptions): Promise<string> {
  const form = { purpose, file_name: file.name, file_type: file.type };
  // The TypeScript SDK sends the fields both in the query and as a form body; so does tether.
  const start = await transport.send({
    method: 'POST',
    path: PATHS.files,
    query: form,
    body: new URLSearchParams(form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    signal: options.signal,
  });
  if (start.status !== 302) {
    const text = await start.body.text();
    if (start.status >= 400) throw classify({ status: start.status, headers: start.headers, body: text, keySource: options.keySource });
    throw unexpectedBody(start, 'not the 302 redirect to an upload URL that the redirect flow expects (try `--flow multipart`)');
  }
  await start.body.dump();
  const location = start.headers['location'];
  const id = start.headers['x-together-file-id'];
  if (!location || !id) throw unexpectedBody(start, 'its 302 lacks the Location or X-Together-File-Id header');
  const target = new URL(location, `${transport.baseUrl}/`);
  // A transport of its own, with no API key: the presigned URL carries its authorisation.
  const storage = createTransport({ baseUrl: target.origin, env: {} });
  try {
    const put = await storage.send({
      method: 'PUT',
      path: target.pathname + target.search,
      body: rawFileBody(file, progressReporter(file, options)),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(file.size) },
      signal: options.signal,
    });
    const text = await put.body.text();
    if (put.status < 200 || put.status >= 300) throw storageError(put, text);
  } finally {
    await storage.close();
  }
  return id;
}

async function multipartUpload(transport: Transport, file: LocalFile & { type: FileType }, purpose: FilePurpose, options: UploadOptions): Promise<FileObject> {
  const form = multipartBody(
    [
      ['purpose', purpose],
      ['file_name', file.name],
      ['file_type', file.type],
    ],
    file,
    progressReporter(file, options),
  );
  const response = await transport.send({
    method: 'POST',
    path: PATHS.filesUpload,
    body: form.body,
    headers: { 'content-type': form.contentType, 'content-length': String(form.length) },
    signal: options.signal,
  });
  const parsed = fileObjectSchema.safeParse(await readJson(response, options));
  if (!parsed.success) throw unexpectedBody(response, 'the body is not a file object (no `id`)');
  return parsed.data;
}

/** Polls the file while Together is still checking it. */
async function settled(transport: Transport, file: FileObject, options: UploadOptions): Promise<FileObject> {
  if (options.waitForProcessing === false) return file;
  const interval = options.processingIntervalMs ?? 2000;
  const deadline = Date.now() + (options.processingTimeoutMs ?? 10 * 60_000);
  let current = file;
  while (IN_PROGRESS.has(current.processing_status ?? '')) {
    options.onProgress?.({ phase: 'process', done: 0, total: 1 });
    if (Date.now() >= deadline) {
      throw fileProcessingTimeoutError(current.id, current.processing_status);
    }
    await sleep(interval, options.signal);
    current = await getFile(transport, current.id, options);
  }
  return current;
}

function rejection(file: FileObject): FileRejectedError {
  const report = file.validation_report;
  const status = file.processing_status ?? 'INVALID_FORMAT';
  return new FileRejectedError(file, {
    category: 'validation',
    code: report?.error_type ?? status,
    message: `Together rejected ${file.filename ?? file.id} after upload (processing_status ${status}): ${report?.error ?? 'no reason given'}`,
    cause: "Together's server-side check of the dataset failed, so no fine-tune job can use this file.",
    fix: `Fix the data (\`tether validate FILE\` lists every problem with its line number) and upload it again; the rejected file ${file.id} can be deleted.`,
    retryable: false,
    details: { fileId: file.id },
  });
}

/**
 * After an ambiguous failure: the file this upload made (same name, size and purpose, created since it started; two
 * looks), or an error saying nothing was made and a retry is safe (or that the look failed too).
 */
async function lookForUpload(
  transport: Transport,
  file: LocalFile,
  purpose: FilePurpose,
  startedAt: number,
  failure: TogetherError,
  options: UploadOptions,
): Promise<FileObject> {
  try {
    for (let look = 0; look < 2; look++) {
      if (look > 0) await sleep(options.relookDelayMs ?? 1000, options.signal);
      const found = (await listFiles(transport, options))
        .filter((f) => f.filename === file.name && f.bytes === file.size && (f.purpose ?? purpose) === purpose && createdSince(f.created_at, startedAt))
        .sort((a, b) => (b.created_at ?? 0) - (a.created_at ?? 0))[0];
      if (found !== undefined) {
        options.onRecovered?.(found, failure);
        return found;
      }
    }
  } catch (lookup) {
    throw outcomeUnknownError('file upload', 'files', 'GET /v1/files', failure, lookup);
  }
  throw nothingCreatedError('file upload', 'files', 'GET /v1/files', failure);
}

/**
 * Uploads a local file to Together. For purpose `fine-tune`, tether's validator runs first and an invalid file
 * is refused (DatasetRefusedError, with the report) before anything is sent. The file is streamed from disk.
 * After the upload the call waits for Together's own check; a file it rejects is a FileRejectedError.
 * A missing or misnamed file is an UploadInputError; API failures are classified TogetherErrors.
 */
export async function uploadFile(transport: Transport, path: string, options: UploadOptions = {}): Promise<UploadResult> {
  const purpose = options.purpose ?? 'fine-tune';
  const flow = options.flow ?? DEFAULT_UPLOAD_FLOW;
  const file = await localFile(path, options.fileName);
  // Parquet holds pre-tokenised data the JSONL validator cannot read; Together checks its columns itself.
  const validation = purpose === 'fine-tune' && options.validate !== false && file.type !== 'parquet' ? await validateFirst(file, options) : undefined;
  options.onProgress?.({ phase: 'upload', done: 0, total: file.size });
  const startedAt = Date.now();
  let uploaded: FileObject;
  try {
    uploaded =
      flow === 'multipart'
        ? await multipartUpload(transport, file, purpose, options)
        : await getFile(transport, await redirectUpload(transport, file, purpose, options), options);
  } catch (error) {
    // Never sent twice blindly: after an answer lost in flight, look for the file this call made.
    if (!isAmbiguousFailure(error) || options.signal?.aborted === true) throw error;
    uploaded = await lookForUpload(transport, file, purpose, startedAt, error, options);
  }
  const final = await settled(transport, uploaded, options);
  if (REJECTED.has(final.processing_status ?? '') || final.validation_report?.valid === false) throw rejection(final);
  return { file: final, flow, ...(validation ? { validation } : {}) };
}
