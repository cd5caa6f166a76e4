// The emulator's Files API storage: in-memory records per key (a key is an account), their bytes, the
// presigned-upload tokens of the SDKs' redirect flow, and the `FileResponse` each record is shown as.
// A `fine-tune` file is checked when its bytes arrive; for `fileProcessingMs` after that it reports
// `processing_status: RUNNING` (Together checks asynchronously), then COMPLETED or INVALID_FORMAT.
import { checkFineTuneFile } from './check.js';
import type { FileType, ValidationReport } from './check.js';
import { idGenerator, tokenGenerator } from './ids.js';

export const FILE_PURPOSES = ['fine-tune', 'eval', 'eval-sample', 'eval-output', 'eval-summary', 'batch-generated', 'batch-api'] as const;
export type FilePurpose = (typeof FILE_PURPOSES)[number];
export const FILE_TYPES: readonly FileType[] = ['jsonl', 'csv', 'parquet'];

export type ProcessingStatus = 'PENDING' | 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'INVALID_FORMAT';

export interface StoredFile {
  id: string;
  /** The key that owns it. */
  owner: string;
  filename: string;
  purpose: FilePurpose;
  fileType: FileType;
  createdAt: number;
  /** Undefined until the bytes arrive (redirect flow: between the 302 and the PUT). */
  bytes?: Buffer;
  uploadedAt?: number;
  /** Presigned-upload token while the bytes are awaited. */
  uploadToken?: string;
  /** Set for `fine-tune` files once their check has run. */
  report?: ValidationReport;
  /** A `fine-tune` file's check while it runs (settled() awaits it). */
  checking?: Promise<void>;
  /** Why the check itself failed (processing_status FAILED). */
  checkFailed?: string;
}

/** `FileResponse` (OpenAPI), with the `processing_status` / `validation_report` the together-ai SDK adds. */
export interface FileResponse {
  id: string;
  object: 'file';
  created_at: number;
  filename: string;
  bytes: number;
  purpose: FilePurpose;
  FileType: FileType;
  Processed: boolean;
  LineCount?: number;
  processing_status?: ProcessingStatus;
  validation_report?: ValidationReport;
}

/** What a fine-tune job needs to know about its training file. */
export type FileReadiness =
  | { kind: 'missing' }
  | { kind: 'not_uploaded' }
  | { kind: 'processing' }
  | { kind: 'wrong_purpose'; purpose: FilePurpose }
  | { kind: 'invalid'; error: string }
  | { kind: 'ready'; file: StoredFile; lines: number };

export function fileTypeOf(filename: string): FileType | undefined {
  const ext = /\.([^./\\]+)$/.exec(filename)?.[1];
  return FILE_TYPES.find((t) => t === ext);
}

/**
 * What the store holds at most, over every key: files are kept in memory, so without a bound a client that uploads
 * again and again grows the emulator until the machine runs out. Bytes: 16 files at `maxFileBytes` (1.6 GiB by
 * default); records (pending uploads included): 10,000. UNCONFIRMED: Together's own storage quota is not documented.
 */
export const MAX_STORED_FILES = 10_000;
export const STORED_BYTES_PER_FILE_LIMIT = 16;

export class FileStore {
  private readonly files = new Map<string, StoredFile>();
  private readonly nextId: () => string;
  private readonly nextToken: () => string;
  private storedBytes = 0;

  constructor(
    seed: number,
    private readonly processingMs: number,
    private readonly now: () => number,
    /** The most bytes all files may hold together. */
    readonly maxStoredBytes: number = Number.MAX_SAFE_INTEGER,
  ) {
    this.nextId = idGenerator(seed, 'file');
    this.nextToken = tokenGenerator(seed);
  }

  /** Why `bytes` more cannot be stored (in a new record when `newRecord`), or undefined when they can. */
  refusal(bytes: number, newRecord: boolean): 'bytes' | 'records' | undefined {
    if (newRecord && this.files.size >= MAX_STORED_FILES) return 'records';
    return this.storedBytes + bytes > this.maxStoredBytes ? 'bytes' : undefined;
  }

  /** A record waiting for its bytes (the redirect flow's first step); returns it with its upload token. */
  createPending(owner: string, filename: string, purpose: FilePurpose, fileType: FileType): StoredFile & { uploadToken: string } {
    const file = { id: this.nextId(), owner, filename, purpose, fileType, createdAt: this.now(), uploadToken: this.nextToken() };
    this.files.set(file.id, file);
    return file;
  }

  /** A complete upload in one step (the multipart flow). */
  createUploaded(owner: string, filename: string, purpose: FilePurpose, fileType: FileType, bytes: Buffer): StoredFile {
    const file: StoredFile = { id: this.nextId(), owner, filename, purpose, fileType, createdAt: this.now() };
    this.files.set(file.id, file);
    this.attach(file, bytes);
    return file;
  }

  /** The bytes of a pending record arrived; the token is spent and a `fine-tune` file is checked. */
  attach(file: StoredFile, bytes: Buffer): void {
    this.storedBytes += bytes.length - (file.bytes?.length ?? 0);
    file.bytes = bytes;
    file.uploadedAt = this.now();
    delete file.uploadToken;
    if (file.purpose === 'fine-tune') {
      file.checking = checkFineTuneFile(file.id, file.filename, file.fileType, bytes).then(
        (report) => void (file.report = report),
        (error: unknown) => void (file.checkFailed = error instanceof Error ? error.message : String(error)),
      );
    }
  }

  /** Resolves once the file's server-side check (if any) has run; routes answer after it, as uploads did. */
  settled(file: StoredFile): Promise<void> {
    return file.checking ?? Promise.resolve();
  }

  /** A file by id, only for its owner. */
  get(owner: string, id: string): StoredFile | undefined {
    const file = this.files.get(id);
    return file && file.owner === owner ? file : undefined;
  }

  /** A pending record by id and upload token (the presigned URL carries no API key). */
  byUploadToken(id: string, token: string): StoredFile | undefined {
    const file = this.files.get(id);
    return file && file.uploadToken !== undefined && file.uploadToken === token ? file : undefined;
  }

  /** True when the file's bytes already arrived, so a reused upload URL gets a precise answer. */
  uploaded(id: string): boolean {
    return this.files.get(id)?.bytes !== undefined;
  }

  list(owner: string): StoredFile[] {
    return [...this.files.values()].filter((f) => f.owner === owner);
  }

  delete(owner: string, id: string): boolean {
    const file = this.get(owner, id);
    if (!file) return false;
    this.storedBytes -= file.bytes?.length ?? 0;
    return this.files.delete(id);
  }

  clear(): void {
    this.files.clear();
    this.storedBytes = 0;
  }

  processingStatus(file: StoredFile): ProcessingStatus | undefined {
    if (file.bytes === undefined) return 'PENDING';
    if (file.purpose !== 'fine-tune') return undefined; // other purposes skip validation
    if (file.checkFailed !== undefined) return 'FAILED';
    if (file.report === undefined || this.now() < (file.uploadedAt ?? 0) + this.processingMs) return 'RUNNING';
    return file.report.valid === false ? 'INVALID_FORMAT' : 'COMPLETED';
  }

  readiness(owner: string, id: string): FileReadiness {
    const file = this.get(owner, id);
    if (!file) return { kind: 'missing' };
    if (file.bytes === undefined) return { kind: 'not_uploaded' };
    if (file.purpose !== 'fine-tune') return { kind: 'wrong_purpose', purpose: file.purpose };
    const status = this.processingStatus(file);
    if (status === 'RUNNING') return { kind: 'processing' };
    if (status === 'INVALID_FORMAT') return { kind: 'invalid', error: file.report?.error ?? 'the file failed validation' };
    if (status === 'FAILED') return { kind: 'invalid', error: `the file's check failed (${file.checkFailed ?? 'unknown reason'})` };
    return { kind: 'ready', file, lines: file.report?.nlines ?? 0 };
  }

  toResponse(file: StoredFile): FileResponse {
    const status = this.processingStatus(file);
    const settled = status !== 'PENDING' && status !== 'RUNNING';
    return {
      id: file.id,
      object: 'file',
      created_at: Math.floor(file.createdAt / 1000),
      filename: file.filename,
      bytes: file.bytes?.length ?? 0,
      purpose: file.purpose,
      FileType: file.fileType,
      Processed: settled,
      ...(settled && file.report ? { LineCount: file.report.nlines } : {}),
      ...(status !== undefined ? { processing_status: status } : {}),
      ...(settled && file.report ? { validation_report: file.report } : {}),
    };
  }
}
