// POST /v1/audio/speech (JSON in; WAV, MP3 or raw PCM out, or SSE chunks of base64 audio) and
// POST /v1/audio/transcriptions | /v1/audio/translations (multipart/form-data with an audio file, or a URL in
// `file`; JSON or verbose JSON out). Admitted like chat (faults, rate limits, credits); speech is priced per
// character, transcription per audio minute. The transcribed text is drawn from a hash of the audio bytes.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { EmulatorKey } from '../config.js';
import { bodyTooLarge, invalidRequest } from '../errors.js';
import type { EmulatorError } from '../errors.js';
import { BodyRejected, streamBody } from '../files/body.js';
import { MultipartError, MultipartParser, boundaryOf } from '../files/multipart.js';
import { generateText } from '../generate.js';
import { sendError, sendJson } from '../http.js';
import type { Exchange } from '../http.js';
import { acceptRequest, admit, authenticate, resolveModel, sendEventStream } from '../inference.js';
import { bytesPerSample, silentMp3, speechSeconds, tonePcm, wavHeader } from '../media.js';
import type { PcmEncoding } from '../media.js';
import type { Route } from '../router.js';
import { limiterFor } from '../state.js';
import type { EmulatorState } from '../state.js';
import { validateBody } from '../validate.js';

/** The emulator's bounds: speech input characters, uploaded audio bytes (OpenAI's 25 MB), form field bytes. */
export const AUDIO_LIMITS = { maxSpeechChars: 4096, maxAudioBytes: 25 * 1024 * 1024, maxFieldBytes: 64 * 1024 } as const;

/** USD: Cartesia Sonic per 1M characters; Whisper per audio minute (Together's pricing page, 2026-12). */
const SPEECH_PRICE_PER_MILLION_CHARS = 65;
const TRANSCRIPTION_PRICE_PER_MINUTE = 0.0015;

const LANGUAGES = ['en', 'de', 'fr', 'es', 'hi', 'it', 'ja', 'ko', 'nl', 'pl', 'pt', 'ru', 'sv', 'tr', 'zh'] as const;

export const speechRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.string().min(1).max(AUDIO_LIMITS.maxSpeechChars),
  voice: z.string().min(1),
  response_format: z.enum(['mp3', 'wav', 'raw']).nullish(),
  language: z.enum(LANGUAGES).nullish(),
  response_encoding: z.enum(['pcm_f32le', 'pcm_s16le', 'pcm_mulaw', 'pcm_alaw']).nullish(),
  sample_rate: z.number().int().min(8000).max(48000).nullish(),
  bit_rate: z.union([z.literal(32000), z.literal(64000), z.literal(96000), z.literal(128000), z.literal(192000)]).nullish(),
  stream: z.boolean().nullish(),
});

const SPEECH_EXAMPLE = '{"model": "cartesia/sonic-2", "input": "Hello there", "voice": "friendly sidekick", "response_format": "mp3"}';

const SPEECH_FIXES: Record<string, string> = {
  model: 'Set `model` to a text-to-speech model from GET /v1/models, e.g. "cartesia/sonic-2".',
  input: `Send \`input\` as a non-empty string of at most ${AUDIO_LIMITS.maxSpeechChars} characters.`,
  voice: 'Send `voice` as the name of one of the model\'s voices, e.g. "friendly sidekick" for cartesia/sonic-2.',
  response_format: 'Send `response_format` as "wav", "mp3" or "raw".',
  response_encoding: 'Send `response_encoding` as "pcm_f32le", "pcm_s16le", "pcm_mulaw" or "pcm_alaw".',
  sample_rate: 'Send `sample_rate` as an integer from 8000 to 48000, e.g. 44100.',
  bit_rate: 'Send `bit_rate` as 32000, 64000, 96000, 128000 or 192000.',
  language: `Send \`language\` as one of ${LANGUAGES.join(', ')}.`,
};

const TRANSCRIPTION_FIXES: Record<string, string> = {
  model: 'Set `model` to openai/whisper-large-v3.',
  response_format: 'Send `response_format` as "json" or "verbose_json".',
  temperature: 'Send `temperature` as a number from 0 to 1.',
  timestamp_granularities: 'Send `timestamp_granularities[]` as "segment" and/or "word".',
  diarize: 'Send `diarize` as "true" or "false".',
};

const MEDIA_TYPES = { mp3: 'audio/mpeg', wav: 'audio/wav', raw: 'application/octet-stream' } as const;

/** Samples per piece written or streamed: 0.1 s at the sample rate, so a long answer is never held whole. */
function pieceSamples(rate: number): number {
  return Math.max(1, Math.round(rate / 10));
}

/** Write `pieces` buffers with backpressure; false once the client is gone. */
async function writePieces(ex: Exchange, count: number, piece: (i: number) => Buffer): Promise<boolean> {
  for (let i = 0; i < count; i++) {
    if (ex.signal.aborted || ex.res.destroyed) return false;
    if (ex.res.write(piece(i))) continue;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        ex.res.off('drain', done);
        ex.res.off('close', done);
        resolve();
      };
      ex.res.on('drain', done);
      ex.res.on('close', done);
    });
  }
  return true;
}

async function speech(state: EmulatorState, ex: Exchange): Promise<void> {
  const accepted = await acceptRequest(state, ex, speechRequestSchema, SPEECH_EXAMPLE, SPEECH_FIXES);
  if (!accepted) return;
  const { key, body } = accepted;
  const model = resolveModel(state, ex, key, body.model, 'speech');
  if (!model) return;
  const costUsd = (Array.from(body.input).length * SPEECH_PRICE_PER_MILLION_CHARS) / 1_000_000;
  const stream = body.stream === true;
  const admission = await admit(state, ex, { key, model, stream, promptTokens: 0, completionTokens: 0, costUsd });
  if (!admission) return;
  const seconds = speechSeconds(body.input);
  const rate = body.sample_rate ?? 44100;
  const encoding: PcmEncoding = body.response_encoding ?? 'pcm_f32le';
  const samples = Math.round(seconds * rate);
  const step = pieceSamples(rate);
  const pieces = Math.ceil(samples / step);
  const pcmPiece = (i: number): Buffer => tonePcm(i * step, Math.min(step, samples - i * step), rate, encoding);
  if (admission.streamPlan) {
    // Raw PCM in base64 chunks of 0.1 s, as Together streams speech (AudioSpeechStreamChunk), made as they are sent.
    const events = { length: pieces, get: (i: number) => ({ object: 'audio.tts.chunk', model: model.id, b64: pcmPiece(i).toString('base64') }) };
    await sendEventStream(ex, events, admission.streamPlan);
    return;
  }
  if (ex.res.headersSent || ex.signal.aborted) return;
  const format = body.response_format ?? 'wav';
  if (format === 'mp3') {
    const mp3 = silentMp3(seconds, body.bit_rate ?? 128000, rate);
    ex.res.writeHead(200, { ...ex.extraHeaders(), 'content-type': MEDIA_TYPES.mp3, 'content-length': String(mp3.length) });
    ex.res.end(mp3);
    return;
  }
  const dataBytes = samples * bytesPerSample(encoding);
  const head = format === 'wav' ? wavHeader(dataBytes, rate, encoding) : Buffer.alloc(0);
  ex.res.writeHead(200, { ...ex.extraHeaders(), 'content-type': MEDIA_TYPES[format], 'content-length': String(head.length + dataBytes) });
  ex.res.write(head);
  if (await writePieces(ex, pieces, pcmPiece)) ex.res.end();
}

interface AudioUpload {
  fields: Record<string, string[]>;
  /** The uploaded file: its size, a hash of its bytes and its first bytes (a WAV header gives the duration). */
  file?: { bytes: number; hash: string; head: Buffer; filename: string };
}

function formError(message: string, param: string | null = null): EmulatorError {
  return invalidRequest(message, param);
}

/** Reads the form: text fields (bounded) and the file (hashed as it streams; never held in memory). */
async function readAudioForm(state: EmulatorState, ex: Exchange): Promise<AudioUpload | undefined> {
  const boundary = boundaryOf(ex.req.headers['content-type']);
  if (!boundary) {
    ex.req.resume();
    sendError(ex, formError('Send the audio as multipart/form-data (with a boundary) holding `file` (the audio, or an https URL) and optionally model, language, response_format.'));
    return undefined;
  }
  const upload: AudioUpload = { fields: {} };
  let current: { name: string; text?: Buffer[]; size: number } | undefined;
  let hash: ReturnType<typeof createHash> | undefined;
  let head: Buffer[] = [];
  const finishPart = (): void => {
    if (!current) return;
    if (current.text) (upload.fields[current.name] ??= []).push(Buffer.concat(current.text).toString('utf8'));
    else if (hash && upload.file) upload.file.hash = hash.digest('hex');
    current = undefined;
  };
  const parser = new MultipartParser(boundary, {
    part(info) {
      finishPart();
      if (info.filename !== undefined && info.name === 'file') {
        if (upload.file) throw new BodyRejected(formError('The form holds more than one `file`. Send one audio file per request.', 'file'));
        hash = createHash('sha256');
        head = [];
        upload.file = { bytes: 0, hash: '', head: Buffer.alloc(0), filename: info.filename };
        current = { name: info.name, size: 0 };
      } else {
        current = { name: info.name, text: [], size: 0 };
      }
    },
    data(chunk) {
      if (!current) return;
      current.size += chunk.length;
      if (current.text) {
        if (current.size > AUDIO_LIMITS.maxFieldBytes) throw new BodyRejected(formError(`The form field \`${current.name}\` is longer than ${AUDIO_LIMITS.maxFieldBytes} bytes.`, current.name));
        current.text.push(chunk);
        return;
      }
      if (current.size > AUDIO_LIMITS.maxAudioBytes) throw new BodyRejected(bodyTooLarge(AUDIO_LIMITS.maxAudioBytes));
      hash?.update(chunk);
      if (upload.file) {
        upload.file.bytes = current.size;
        if (upload.file.head.length < 64) {
          head.push(chunk);
          upload.file.head = Buffer.concat(head).subarray(0, 64);
        }
      }
    },
  });
  const guard = (step: () => void): void => {
    try {
      step();
    } catch (error) {
      if (error instanceof MultipartError) throw new BodyRejected(formError(`The multipart/form-data body is malformed: ${error.message}.`));
      throw error;
    }
  };
  const read = await streamBody(
    ex,
    {
      write: (chunk) => guard(() => parser.write(chunk)),
      end: () =>
        guard(() => {
          parser.end();
          finishPart();
        }),
    },
    AUDIO_LIMITS.maxAudioBytes,
  );
  if (!read.ok) {
    if ('error' in read) sendError(ex, read.error);
    return undefined;
  }
  return upload;
}

/** Seconds of audio: from a WAV header when there is one, else at 128 kbit/s (a typical MP3). */
function audioSeconds(file: NonNullable<AudioUpload['file']>): number {
  const h = file.head;
  if (h.length >= 44 && h.toString('latin1', 0, 4) === 'RIFF' && h.toString('latin1', 8, 12) === 'WAVE') {
    const byteRate = h.readUInt32LE(28);
    if (byteRate > 0) return Math.round(((file.bytes - 44) / byteRate) * 1000) / 1000;
  }
  return Math.max(0.1, Math.round((file.bytes / 16_000) * 1000) / 1000);
}

const transcriptionFields = z.object({
  model: z.string().min(1).default('openai/whisper-large-v3'),
  language: z.string().min(2).max(16).optional(),
  prompt: z.string().optional(),
  response_format: z.enum(['json', 'verbose_json']).default('json'),
  temperature: z.coerce.number().min(0).max(1).optional(),
  timestamp_granularities: z.array(z.enum(['segment', 'word'])).max(2).optional(),
  diarize: z.enum(['true', 'false']).optional(),
  min_speakers: z.coerce.number().int().min(1).optional(),
  max_speakers: z.coerce.number().int().min(1).optional(),
});

function singleFields(fields: Record<string, string[]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, values] of Object.entries(fields)) {
    if (name === 'timestamp_granularities' || name === 'timestamp_granularities[]') {
      out.timestamp_granularities = [...((out.timestamp_granularities as string[]) ?? []), ...values];
    } else if (name !== 'file') out[name] = values[values.length - 1];
  }
  return out;
}

async function transcribe(state: EmulatorState, ex: Exchange, task: 'transcribe' | 'translate'): Promise<void> {
  const key: EmulatorKey | undefined = authenticate(state, ex);
  if (!key) {
    ex.req.resume();
    return;
  }
  const limiter = limiterFor(state, key);
  ex.extraHeaders = () => limiter.headers(state.now());
  const upload = await readAudioForm(state, ex);
  if (!upload) return;
  const fileUrl = upload.fields.file?.[0];
  if (!upload.file && !fileUrl) return sendError(ex, formError('The form has no `file`: send the audio as a file part named "file", or an https URL in a field named "file".', 'file'));
  if (!upload.file && fileUrl && !/^https?:\/\/\S+$/.test(fileUrl)) {
    return sendError(ex, formError('`file` must be an audio file part or an http(s) URL to one.', 'file'));
  }
  const checked = validateBody(transcriptionFields, singleFields(upload.fields), '-F file=@audio.wav -F model=openai/whisper-large-v3', TRANSCRIPTION_FIXES);
  if (!checked.ok) return sendError(ex, checked.error);
  const fields = checked.value;
  state.stats.model(fields.model);
  const model = resolveModel(state, ex, key, fields.model, 'transcription');
  if (!model) return;
  // The emulator does not fetch URLs: a URL stands for 10 seconds of audio.
  const seconds = upload.file ? audioSeconds(upload.file) : 10;
  const costUsd = (seconds / 60) * TRANSCRIPTION_PRICE_PER_MINUTE;
  const admission = await admit(state, ex, { key, model, stream: false, promptTokens: 0, completionTokens: 0, costUsd });
  if (!admission) return;
  const source = upload.file?.hash ?? fileUrl ?? '';
  const generated = await generateText({
    emulatorSeed: state.config.seed,
    model: model.id,
    prompt: `${task}:${source}`,
    choiceIndex: 0,
    words: { min: Math.max(1, Math.round(seconds * 2)), max: Math.max(2, Math.round(seconds * 3)) },
    countTokens: async () => 0,
  });
  const text = generated.text;
  if (fields.response_format === 'json') return sendJson(ex, 200, { text });
  const language = task === 'translate' ? 'en' : (fields.language ?? 'en');
  const pieces = generated.pieces;
  const step = seconds / Math.max(1, pieces.length);
  const words = pieces.map((piece, i) => ({ word: piece.trim(), start: round(i * step), end: round((i + 1) * step) }));
  const segments = [{ id: 0, start: 0, end: round(seconds), text }];
  const diarize = fields.diarize === 'true';
  const granular = fields.timestamp_granularities ?? ['segment'];
  sendJson(ex, 200, {
    task,
    language,
    duration: round(seconds),
    text,
    segments,
    ...(granular.includes('word') || diarize ? { words: words.map((w) => (diarize ? { ...w, speaker_id: 'SPEAKER_00' } : w)) } : {}),
    ...(diarize ? { speaker_segments: [{ id: 0, speaker_id: 'SPEAKER_00', start: 0, end: round(seconds), text, words: words.map((w) => ({ ...w, speaker_id: 'SPEAKER_00' })) }] } : {}),
  });
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

export function audioRoutes(state: EmulatorState): Route[] {
  return [
    { method: 'POST', path: '/v1/audio/speech', handler: (ex) => speech(state, ex) },
    { method: 'POST', path: '/v1/audio/transcriptions', handler: (ex) => transcribe(state, ex, 'transcribe') },
    { method: 'POST', path: '/v1/audio/translations', handler: (ex) => transcribe(state, ex, 'translate') },
  ];
}
