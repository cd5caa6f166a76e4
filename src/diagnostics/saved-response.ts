// A saved HTTP response — `curl -i` / `curl -D -` output, a raw capture, or `curl -v` output — read back into a
// status, headers and body for `tether explain --response`.
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

export interface SavedResponse {
  httpVersion: string;
  status: number;
  statusText: string;
  /** Lower-case names, in order; repeated headers stay repeated. */
  headers: Array<[string, string]>;
  body: Buffer;
}

/** Input that is not a saved response. The message says what was expected, never quoting the input. */
export class SavedResponseError extends Error {
  override readonly name = 'SavedResponseError';
}

const STATUS_LINE = /^HTTP\/(\d(?:\.\d)?)\s+(\d{3})(?:\s+(.*))?$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Where the head ends: the first blank line (CRLF or LF), as [end of head, start of body]. */
function headEnd(buf: Buffer, from: number): [number, number] | undefined {
  const crlf = buf.indexOf('\r\n\r\n', from);
  const lf = buf.indexOf('\n\n', from);
  if (crlf === -1 && lf === -1) return undefined;
  if (crlf !== -1 && (lf === -1 || crlf <= lf)) return [crlf, crlf + 4];
  return [lf, lf + 2];
}

function parseHead(text: string, lineOffset: number): Omit<SavedResponse, 'body'> {
  const lines = text.split(/\r?\n/);
  while (lines.length > 1 && lines[lines.length - 1]?.trim() === '') lines.pop(); // a head with no body after it
  const statusLine = (lines[0] ?? '').trim();
  const match = STATUS_LINE.exec(statusLine);
  if (!match) {
    throw new SavedResponseError(
      `line ${lineOffset + 1} is not an HTTP status line; a saved response starts with one such as "HTTP/1.1 429 Too Many Requests" (save it with curl -i, or curl -D - -o body)`,
    );
  }
  const headers: Array<[string, string]> = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^[ \t]/.test(line) && headers.length > 0) {
      const last = headers[headers.length - 1] as [string, string];
      last[1] = `${last[1]} ${line.trim()}`; // an obsolete folded continuation line
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!HEADER_NAME.test(name)) throw new SavedResponseError(`line ${lineOffset + i + 1} is not a header of the form "name: value"`);
    headers.push([name.toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return { httpVersion: match[1] as string, status: Number(match[2]), statusText: (match[3] ?? '').trim(), headers };
}

function header(headers: ReadonlyArray<[string, string]>, name: string): string | undefined {
  return headers.find(([key]) => key === name)?.[1];
}

/** A chunked body decoded, or undefined when it is not valid chunked framing (curl already decoded it). */
function dechunk(body: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd === -1) return undefined;
    const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isInteger(size) || size < 0 || !/^[0-9a-fA-F]+/.test(body.subarray(at, lineEnd).toString('latin1'))) return undefined;
    if (size === 0) return Buffer.concat(parts);
    const start = lineEnd + 2;
    if (start + size > body.length) return undefined;
    parts.push(body.subarray(start, start + size));
    at = start + size + 2;
  }
}

/** A compressed body decoded, or the body as is when it is not actually compressed. */
function decode(body: Buffer, encoding: string | undefined): Buffer {
  const name = encoding?.trim().toLowerCase();
  try {
    if (name === 'gzip' || name === 'x-gzip') return gunzipSync(body);
    if (name === 'deflate') return inflateSync(body);
    if (name === 'br') return brotliDecompressSync(body);
  } catch {
    // curl -i without --compressed saves the bytes as sent; a body that is already plain stays as it is.
  }
  return body;
}

/** `curl -v` output: the `< ` lines are the response head; the unprefixed lines after it are the body. */
function fromVerbose(text: string): Buffer | undefined {
  const lines = text.split(/\r?\n/);
  let start = -1;
  lines.forEach((line, i) => {
    if (line.startsWith('< HTTP/')) start = i;
  });
  if (start === -1) return undefined;
  const head: string[] = [];
  let i = start;
  for (; i < lines.length && lines[i]!.startsWith('<'); i++) {
    const line = lines[i]!.replace(/^< ?/, '');
    if (line.trim() === '') {
      i++;
      break;
    }
    head.push(line);
  }
  const body = lines.slice(i).filter((line) => !/^(\* |> |< |\{ \[|\} \[)/.test(line) && !/^[*<>]$/.test(line));
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${body.join('\n').trim()}`, 'utf8');
}

function isInterim(response: Omit<SavedResponse, 'body'>): boolean {
  // 1xx interim answers, a proxy's "200 Connection established", and redirects followed by curl -L.
  return (
    (response.status >= 100 && response.status < 200) ||
    (response.status === 200 && /connection established/i.test(response.statusText)) ||
    (response.status >= 300 && response.status < 400)
  );
}

/** Parses a saved response. When several heads follow each other (interim, proxy, redirects), the last one wins. */
export function parseSavedResponse(input: Buffer | string): SavedResponse {
  let buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
  const asText = buf.toString('utf8');
  if (!/^\s*HTTP\//.test(asText)) {
    const verbose = fromVerbose(asText);
    if (verbose !== undefined) buf = verbose;
  }
  let at = 0;
  let line = 0;
  while (at < buf.length && (buf[at] === 0x0a || buf[at] === 0x0d || buf[at] === 0x20)) {
    if (buf[at] === 0x0a) line++;
    at++;
  }
  if (at >= buf.length) throw new SavedResponseError('the saved response is empty; save one with curl -i (status line, headers, a blank line, the body)');
  for (;;) {
    const end = headEnd(buf, at);
    const headText = buf.subarray(at, end?.[0] ?? buf.length).toString('latin1');
    const head = parseHead(headText, line);
    const rest = end === undefined ? Buffer.alloc(0) : buf.subarray(end[1]);
    if (isInterim(head) && /^\s*HTTP\/\d/.test(rest.subarray(0, 16).toString('latin1'))) {
      line += headText.split('\n').length + 1;
      at = end?.[1] ?? buf.length;
      while (at < buf.length && (buf[at] === 0x0a || buf[at] === 0x0d)) at++;
      continue;
    }
    let body: Buffer = rest;
    if (/chunked/i.test(header(head.headers, 'transfer-encoding') ?? '')) body = dechunk(body) ?? body;
    body = decode(body, header(head.headers, 'content-encoding'));
    return { ...head, body };
  }
}
