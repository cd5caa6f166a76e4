// A small push-based multipart/form-data parser (RFC 7578): bytes go in as they arrive, parts come out as a
// header callback followed by body chunks, so a file part is never held twice and a size cap can act mid-upload.
// It handles what form encoders send (CRLF line breaks, quoted parameters); it is not a general MIME parser.

export interface PartInfo {
  /** The form field name (`name="..."`). */
  name: string;
  /** Set for file parts (`filename="..."`). */
  filename?: string;
  contentType?: string;
}

export interface MultipartHandler {
  part(info: PartInfo): void;
  data(chunk: Buffer): void;
}

/** The body is not well-formed multipart; the message says what was wrong. */
export class MultipartError extends Error {
  override readonly name = 'MultipartError';
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
/** Part headers are a few hundred bytes; anything this large is not a form. */
const MAX_HEADER_BYTES = 16 * 1024;

/** The boundary of a `multipart/form-data; boundary=...` content type, or undefined. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType.trim())) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  return boundary && boundary.length <= 70 ? boundary : undefined;
}

function parameter(header: string, name: string): string | undefined {
  const match = new RegExp(`;\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, 'i').exec(header);
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2];
}

function parseHeaders(block: string): PartInfo {
  let disposition: string | undefined;
  let contentType: string | undefined;
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-disposition') disposition = value;
    else if (name === 'content-type') contentType = value;
  }
  if (!disposition || !/^form-data\s*(;|$)/i.test(disposition)) {
    throw new MultipartError('a part has no `Content-Disposition: form-data; name="..."` header');
  }
  const name = parameter(disposition, 'name');
  if (name === undefined) throw new MultipartError('a part\'s Content-Disposition has no name="..." parameter');
  const filename = parameter(disposition, 'filename');
  return { name, ...(filename !== undefined ? { filename } : {}), ...(contentType !== undefined ? { contentType } : {}) };
}

type Stage = 'preamble' | 'delimiter' | 'headers' | 'body' | 'done';

export class MultipartParser {
  /** `\r\n--boundary`: what ends every part body. */
  private readonly delimiter: Buffer;
  // Starts with CRLF so the first boundary line (which has none before it) matches like the others.
  private buffer: Buffer = CRLF;
  private stage: Stage = 'preamble';

  constructor(
    boundary: string,
    private readonly handler: MultipartHandler,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
  }

  /** True once the closing boundary has been read (anything after it is ignored). */
  get finished(): boolean {
    return this.stage === 'done';
  }

  write(chunk: Buffer): void {
    if (this.stage === 'done') return;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    this.drain();
  }

  /** The body ended: throws unless the closing boundary was seen. */
  end(): void {
    if (this.stage !== 'done') throw new MultipartError('the body ended before the closing boundary (`--boundary--`)');
  }

  private drain(): void {
    for (;;) {
      const progressed =
        this.stage === 'preamble'
          ? this.skipPreamble()
          : this.stage === 'delimiter'
            ? this.afterDelimiter()
            : this.stage === 'headers'
              ? this.readHeaders()
              : this.stage === 'body'
                ? this.readBody()
                : false;
      if (!progressed) return;
    }
  }

  private skipPreamble(): boolean {
    const at = this.buffer.indexOf(this.delimiter);
    if (at < 0) {
      this.buffer = this.buffer.subarray(Math.max(0, this.buffer.length - this.delimiter.length + 1));
      return false;
    }
    this.buffer = this.buffer.subarray(at + this.delimiter.length);
    this.stage = 'delimiter';
    return true;
  }

  /** After a boundary: `--` closes the body; otherwise optional padding, then CRLF, then the part's headers. */
  private afterDelimiter(): boolean {
    if (this.buffer.length < 2) return false;
    if (this.buffer[0] === 0x2d && this.buffer[1] === 0x2d) {
      this.stage = 'done';
      this.buffer = Buffer.alloc(0);
      return false;
    }
    const lineEnd = this.buffer.indexOf(CRLF);
    if (lineEnd < 0) {
      if (this.buffer.length > 256) throw new MultipartError('a boundary line is not followed by CRLF');
      return false;
    }
    if (this.buffer.subarray(0, lineEnd).toString('latin1').trim() !== '') {
      throw new MultipartError('a boundary line is followed by unexpected text');
    }
    this.buffer = this.buffer.subarray(lineEnd + 2);
    this.stage = 'headers';
    return true;
  }

  private readHeaders(): boolean {
    // A part with no headers at all starts its body right away; form encoders never send one, so it is refused.
    const end = this.buffer.subarray(0, 2).equals(CRLF) ? 0 : this.buffer.indexOf(HEADER_END);
    if (end < 0) {
      if (this.buffer.length > MAX_HEADER_BYTES) throw new MultipartError(`a part's headers are longer than ${MAX_HEADER_BYTES} bytes`);
      return false;
    }
    const block = this.buffer.subarray(0, end).toString('utf8');
    this.buffer = this.buffer.subarray(end === 0 ? 2 : end + HEADER_END.length);
    this.handler.part(parseHeaders(block));
    this.stage = 'body';
    return true;
  }

  private readBody(): boolean {
    const at = this.buffer.indexOf(this.delimiter);
    if (at >= 0) {
      if (at > 0) this.handler.data(this.buffer.subarray(0, at));
      this.buffer = this.buffer.subarray(at + this.delimiter.length);
      this.stage = 'delimiter';
      return true;
    }
    // Keep just enough of the tail to recognise a delimiter split across chunks.
    const safe = this.buffer.length - (this.delimiter.length - 1);
    if (safe > 0) {
      this.handler.data(this.buffer.subarray(0, safe));
      this.buffer = this.buffer.subarray(safe);
    }
    return false;
  }
}
