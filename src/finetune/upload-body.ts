// Request bodies for uploads, streamed from disk (a file is never read whole into memory): the raw bytes for a
// presigned PUT, or a multipart/form-data body with an exact Content-Length. `onBytes` sees the file bytes
// handed to the HTTP client so far, which under backpressure tracks what has been sent.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { UploadInputError } from './errors.js';

export interface LocalFile {
  path: string;
  /** The name Together stores (`file_name`). */
  name: string;
  size: number;
}

async function* fileChunks(file: LocalFile, onBytes: (done: number) => void): AsyncGenerator<Buffer> {
  let done = 0;
  for await (const chunk of createReadStream(file.path)) {
    done += (chunk as Buffer).length;
    if (done > file.size) throw new UploadInputError(`${file.path} grew while it was being uploaded; upload it again once it is complete`);
    onBytes(done);
    yield chunk as Buffer;
  }
  if (done !== file.size) throw new UploadInputError(`${file.path} shrank while it was being uploaded; upload it again once it is complete`);
}

/** The file's bytes, for `PUT <presigned URL>` with `Content-Length: size`. */
export function rawFileBody(file: LocalFile, onBytes: (done: number) => void): Readable {
  return Readable.from(fileChunks(file, onBytes), { objectMode: false });
}

/** A form field or file name inside a quoted header parameter: no quotes, no line breaks. */
function quoted(value: string): string {
  return value.replace(/[\r\n]/g, ' ').replace(/"/g, '%22');
}

export interface MultipartBody {
  body: Readable;
  contentType: string;
  /** Exact byte length (fields + file + framing), for Content-Length. */
  length: number;
}

/** `multipart/form-data` with the text fields first, then the file as the part named `file`. */
export function multipartBody(fields: ReadonlyArray<[string, string]>, file: LocalFile, onBytes: (done: number) => void): MultipartBody {
  const boundary = `----tether-${randomBytes(12).toString('hex')}`;
  let head = '';
  for (const [name, value] of fields) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(name)}"\r\n\r\n${value}\r\n`;
  }
  head += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quoted(file.name)}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const headBytes = Buffer.from(head, 'utf8');
  const tailBytes = Buffer.from(tail, 'utf8');
  async function* parts(): AsyncGenerator<Buffer> {
    yield headBytes;
    yield* fileChunks(file, onBytes);
    yield tailBytes;
  }
  return {
    body: Readable.from(parts(), { objectMode: false }),
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: headBytes.length + file.size + tailBytes.length,
  };
}
