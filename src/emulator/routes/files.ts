// The Files API, both upload flows (together-api-facts.md §2.3):
//   multipart: POST /v1/files/upload (the OpenAPI flow; also POST /v1/files with a multipart body, as curl does)
//   redirect:  POST /v1/files with form fields → 302, Location (a presigned upload URL) + X-Together-File-Id;
//              PUT the raw bytes to Location (no API key: it stands for object storage); then
//              POST /v1/files/{id}/preprocess (Python SDK) or GET /v1/files/{id} (TypeScript SDK).
// plus GET /v1/files, GET and DELETE /v1/files/{id}, GET /v1/files/{id}/content. Bytes are streamed in and
// capped at `maxFileBytes`; files belong to the key that uploaded them.
import { createHash } from 'node:crypto';
import type { EmulatorKey } from '../config.js';
import { admitApiRequest } from '../files/admit.js';
import { BodyRejected, CappedBuffer, streamBody } from '../files/body.js';
import type { BodySink } from '../files/body.js';
import { badUploadForm, fileNotFound, fileNotUploaded, fileTooLarge, storageFull, uploadUrlInvalid } from '../files/errors.js';
import { MultipartError, MultipartParser, boundaryOf } from '../files/multipart.js';
import { FILE_PURPOSES, FILE_TYPES, MAX_STORED_FILES, fileTypeOf } from '../files/store.js';
import type { FilePurpose, FileStore } from '../files/store.js';
import type { FileType } from '../files/check.js';
import { pause, sendError, sendJson } from '../http.js';
import type { Exchange } from '../http.js';
import type { Route } from '../router.js';
import type { EmulatorState } from '../state.js';

/** Form fields are short strings; the file is the only large part. */
const FIELD_LIMIT = 64 * 1024;
const STORAGE_PATH = '/storage/files';

/** How much more of a refused upload is read (and dropped) before the socket is cut: ten times the cap, as for JSON bodies. */
function drainLimit(state: EmulatorState): number {
  return state.config.maxFileBytes * 10;
}

interface UploadFields {
  purpose?: string;
  file_name?: string;
  file_type?: string;
}

type Checked = { ok: true; purpose: FilePurpose; fileName: string; fileType: FileType } | { ok: false; message: string; param: string };

/** The form fields every upload needs, with the file type taken from the name when it is not given. */
function checkFields(fields: UploadFields, partFilename: string | undefined): Checked {
  const purpose = fields.purpose;
  if (purpose === undefined || purpose === '') {
    return { ok: false, param: 'purpose', message: `\`purpose\` is required: one of ${FILE_PURPOSES.join(', ')}.` };
  }
  if (!(FILE_PURPOSES as readonly string[]).includes(purpose)) {
    return { ok: false, param: 'purpose', message: `\`purpose\` must be one of ${FILE_PURPOSES.join(', ')} (got "${purpose}").` };
  }
  const fileName = fields.file_name || partFilename;
  if (!fileName) return { ok: false, param: 'file_name', message: '`file_name` is required: the name of the file, e.g. "train.jsonl".' };
  const fileType = fields.file_type || fileTypeOf(fileName);
  if (fileType === undefined || !(FILE_TYPES as readonly string[]).includes(fileType)) {
    return {
      ok: false,
      param: 'file_type',
      message: `\`file_type\` must be one of ${FILE_TYPES.join(', ')}${fields.file_type ? ` (got "${fields.file_type}")` : `; "${fileName}" has none of those extensions`}.`,
    };
  }
  return { ok: true, purpose: purpose as FilePurpose, fileName, fileType: fileType as FileType };
}

/** A multipart parser as a body sink: a malformed body becomes a 400. */
function multipartSink(parser: MultipartParser): BodySink {
  const guard = (step: () => void): void => {
    try {
      step();
    } catch (error) {
      if (error instanceof MultipartError) throw new BodyRejected(badUploadForm(`The multipart/form-data body is malformed: ${error.message}.`));
      throw error;
    }
  };
  return { write: (chunk) => guard(() => parser.write(chunk)), end: () => guard(() => parser.end()) };
}

async function multipartUpload(state: EmulatorState, ex: Exchange, key: EmulatorKey): Promise<void> {
  const boundary = boundaryOf(ex.req.headers['content-type']);
  if (!boundary) {
    ex.req.resume();
    return sendError(ex, badUploadForm('Send the upload as multipart/form-data (with a boundary) holding the fields purpose, file_name and file.'));
  }
  const fileBytes = new CappedBuffer(state.config.maxFileBytes, () => fileTooLarge(state.config.maxFileBytes));
  const fields = new Map<string, CappedBuffer>();
  let current: CappedBuffer | undefined;
  let sawFile = false;
  let partFilename: string | undefined;
  const parser = new MultipartParser(boundary, {
    part(info) {
      if (info.name === 'file') {
        if (sawFile) throw new BodyRejected(badUploadForm('Send exactly one `file` part per upload.', 'file'));
        sawFile = true;
        partFilename = info.filename;
        current = fileBytes;
      } else {
        current = new CappedBuffer(FIELD_LIMIT, () => badUploadForm(`The form field \`${info.name}\` is longer than ${FIELD_LIMIT} bytes.`, info.name));
        fields.set(info.name, current);
      }
    },
    data(chunk) {
      current?.push(chunk);
    },
  });
  const read = await streamBody(ex, multipartSink(parser), drainLimit(state));
  if (!read.ok) {
    if ('error' in read) sendError(ex, read.error);
    return;
  }
  if (!sawFile) return sendError(ex, badUploadForm('The form has no `file` part: send the file content in a part named "file".', 'file'));
  const text = (name: string): string | undefined => fields.get(name)?.bytes().toString('utf8');
  const checked = checkFields({ purpose: text('purpose'), file_name: text('file_name'), file_type: text('file_type') }, partFilename);
  if (!checked.ok) return sendError(ex, badUploadForm(checked.message, checked.param));
  const content = fileBytes.bytes();
  const full = state.files.refusal(content.length, true);
  if (full) return sendError(ex, storageFull(full, state.files.maxStoredBytes, MAX_STORED_FILES));
  const file = state.files.createUploaded(key.key, checked.fileName, checked.purpose, checked.fileType, content);
  await state.files.settled(file);
  // An afterWork latency fault: the file exists, its answer is late (a client timing out now cannot know it was made).
  if (!(await pause(ex, state.faults.afterWork({ path: ex.path, inference: false, key, stream: false })))) return;
  sendJson(ex, 200, state.files.toResponse(file));
}

/** Form fields of the redirect flow: the query string, overridden by a form-urlencoded or JSON body. */
async function redirectFields(state: EmulatorState, ex: Exchange): Promise<UploadFields | undefined> {
  const body = new CappedBuffer(FIELD_LIMIT, () => badUploadForm(`The form is longer than ${FIELD_LIMIT} bytes; send only purpose, file_name and file_type.`));
  const read = await streamBody(ex, { write: (chunk) => body.push(chunk), end: () => undefined }, drainLimit(state));
  if (!read.ok) {
    if ('error' in read) sendError(ex, read.error);
    return undefined;
  }
  const fields: Record<string, string> = Object.fromEntries(ex.query);
  const text = body.bytes().toString('utf8');
  if (text.trim() !== '') {
    if (/^application\/json/i.test(ex.req.headers['content-type'] ?? '')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        sendError(ex, badUploadForm('The request body is not valid JSON; send purpose, file_name and file_type as form fields.'));
        return undefined;
      }
      if (typeof parsed === 'object' && parsed !== null) {
        for (const [name, value] of Object.entries(parsed)) if (typeof value === 'string') fields[name] = value;
      }
    } else {
      for (const [name, value] of new URLSearchParams(text)) fields[name] = value;
    }
  }
  return fields;
}

/** The absolute URL the client reached us on (it will reach the "storage" the same way). */
function origin(ex: Exchange): string {
  const socket = ex.req.socket;
  const host = ex.req.headers.host ?? (socket.localAddress?.includes(':') ? `[${socket.localAddress}]:${socket.localPort}` : `${socket.localAddress}:${socket.localPort}`);
  return `http://${host}`;
}

async function startRedirectUpload(state: EmulatorState, ex: Exchange, key: EmulatorKey): Promise<void> {
  const fields = await redirectFields(state, ex);
  if (!fields) return;
  const checked = checkFields(fields, undefined);
  if (!checked.ok) return sendError(ex, badUploadForm(checked.message, checked.param));
  const full = state.files.refusal(0, true);
  if (full) return sendError(ex, storageFull(full, state.files.maxStoredBytes, MAX_STORED_FILES));
  const file = state.files.createPending(key.key, checked.fileName, checked.purpose, checked.fileType);
  const location = `${origin(ex)}${STORAGE_PATH}/${encodeURIComponent(file.id)}?signature=${file.uploadToken}`;
  if (ex.res.headersSent || ex.signal.aborted) return;
  ex.res.writeHead(302, { location, 'x-together-file-id': file.id, 'content-length': '0' });
  ex.res.end();
}

/** PUT to the presigned URL: object storage, so no API key, only the URL's signature. */
async function receiveBytes(state: EmulatorState, ex: Exchange, id: string): Promise<void> {
  const file = state.files.byUploadToken(id, ex.query.get('signature') ?? '');
  if (!file) {
    ex.req.resume();
    return sendError(ex, uploadUrlInvalid(state.files.uploaded(id)));
  }
  const bytes = new CappedBuffer(state.config.maxFileBytes, () => fileTooLarge(state.config.maxFileBytes));
  const md5 = createHash('md5');
  const read = await streamBody(
    ex,
    {
      write(chunk) {
        bytes.push(chunk);
        md5.update(chunk);
      },
      end: () => undefined,
    },
    drainLimit(state),
  );
  if (!read.ok) {
    if ('error' in read) sendError(ex, read.error);
    return;
  }
  const content = bytes.bytes();
  const full = state.files.refusal(content.length, false);
  if (full) return sendError(ex, storageFull(full, state.files.maxStoredBytes, MAX_STORED_FILES));
  state.files.attach(file, content);
  await state.files.settled(file);
  if (ex.res.headersSent || ex.signal.aborted) return;
  ex.res.writeHead(200, { etag: `"${md5.digest('hex')}"`, 'content-length': '0' });
  ex.res.end();
}

function owned(store: FileStore, ex: Exchange, key: EmulatorKey, id: string): ReturnType<FileStore['get']> {
  const file = store.get(key.key, id);
  if (!file) sendError(ex, fileNotFound(id));
  return file;
}

export function fileRoutes(state: EmulatorState): Route[] {
  const store = state.files;
  const withKey =
    (handler: (ex: Exchange, key: EmulatorKey, params: Record<string, string>) => Promise<void> | void) =>
    async (ex: Exchange, params: Record<string, string>): Promise<void> => {
      const key = await admitApiRequest(state, ex);
      if (key) await handler(ex, key, params);
    };
  return [
    { method: 'GET', path: '/v1/files', handler: withKey((ex, key) => sendJson(ex, 200, { data: store.list(key.key).map((f) => store.toResponse(f)) })) },
    {
      method: 'POST',
      path: '/v1/files',
      handler: withKey((ex, key) =>
        boundaryOf(ex.req.headers['content-type']) ? multipartUpload(state, ex, key) : startRedirectUpload(state, ex, key),
      ),
    },
    { method: 'POST', path: '/v1/files/upload', handler: withKey((ex, key) => multipartUpload(state, ex, key)) },
    {
      method: 'GET',
      path: '/v1/files/:id',
      handler: withKey((ex, key, { id = '' }) => {
        const file = owned(store, ex, key, id);
        if (file) sendJson(ex, 200, store.toResponse(file));
      }),
    },
    {
      method: 'DELETE',
      path: '/v1/files/:id',
      handler: withKey((ex, key, { id = '' }) => {
        if (store.delete(key.key, id)) sendJson(ex, 200, { id, deleted: true });
        else sendError(ex, fileNotFound(id));
      }),
    },
    {
      method: 'GET',
      path: '/v1/files/:id/content',
      handler: withKey((ex, key, { id = '' }) => {
        const file = owned(store, ex, key, id);
        if (!file) return;
        if (file.bytes === undefined) return sendError(ex, fileNotUploaded(id));
        if (ex.res.headersSent || ex.signal.aborted) return;
        // The OpenAPI file declares text/plain for the content, whatever the file type.
        ex.res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(file.bytes.length) });
        ex.res.end(file.bytes);
      }),
    },
    {
      method: 'POST',
      path: '/v1/files/:id/preprocess',
      handler: withKey((ex, key, { id = '' }) => {
        ex.req.resume();
        const file = owned(store, ex, key, id);
        if (!file) return;
        if (file.bytes === undefined) return sendError(ex, fileNotUploaded(id));
        sendJson(ex, 200, store.toResponse(file));
      }),
    },
    { method: 'PUT', path: `${STORAGE_PATH}/:id`, handler: (ex, { id = '' }) => receiveBytes(state, ex, id) },
  ];
}
