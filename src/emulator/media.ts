// The bytes the media endpoints answer with: small valid files, the same for the same seed. A PNG or a JPEG of the
// asked size in one seeded colour (even 2048×2048 is a few KB), and audio —
// WAV, MP3 frames or raw PCM — of a quiet tone whose length follows the text.
import { deflateSync } from 'node:zlib';
import type { Random } from './prng.js';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A width×height RGB PNG filled with one colour drawn from `random`. */
export function solidPng(width: number, height: number, random: Random): Buffer {
  const rgb = [0, 1, 2].map(() => Math.floor(random() * 256));
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set(rgb, 1 + x * 3);
  const raw = Buffer.alloc(row.length * height);
  for (let y = 0; y < height; y++) row.copy(raw, y * row.length);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit depth, truecolour, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG marker segment: FF, the marker, a big-endian length (itself included), the payload. */
function jpegSegment(marker: number, payload: readonly number[]): Buffer {
  const length = payload.length + 2;
  return Buffer.from([0xff, marker, length >> 8, length & 0xff, ...payload]);
}

/**
 * A width×height baseline JPEG in one seeded grey: one component, quantisation all 1s, and Huffman tables cut to
 * the two DC categories and the one AC symbol (end of block) a flat image needs — every 8×8 block after the first
 * is "DC unchanged, end of block", so even 2048×2048 is ~16 KB.
 */
export function solidJpeg(width: number, height: number, random: Random): Buffer {
  let grey = Math.floor(random() * 256);
  if (grey === 128) grey = 129; // a DC of 0 would need no second DC category
  const dc = 8 * (grey - 128); // the DC coefficient of a flat block
  const category = Math.floor(Math.log2(Math.abs(dc))) + 1;
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  // Entropy-coded data. DC table: category 0 = '0', `category` = '10'. AC table: EOB = '0'.
  const bits: number[] = [1, 0];
  const amplitude = dc > 0 ? dc : dc + (1 << category) - 1; // negative values: one's complement in `category` bits
  for (let b = category - 1; b >= 0; b--) bits.push((amplitude >> b) & 1);
  bits.push(0);
  for (let i = 1; i < blocks; i++) bits.push(0, 0);
  while (bits.length % 8) bits.push(1);
  const scan: number[] = [];
  for (let i = 0; i < bits.length; i += 8) {
    const byte = bits.slice(i, i + 8).reduce((acc, bit) => (acc << 1) | bit, 0);
    scan.push(byte);
    if (byte === 0xff) scan.push(0x00); // byte stuffing
  }
  const counts = (lengths: number[]): number[] => Array.from({ length: 16 }, (_, i) => lengths.filter((l) => l === i + 1).length);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    jpegSegment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    jpegSegment(0xdb, [0x00, ...new Array<number>(64).fill(1)]),
    jpegSegment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]),
    jpegSegment(0xc4, [0x00, ...counts([1, 2]), 0, category]),
    jpegSegment(0xc4, [0x10, ...counts([1]), 0x00]),
    jpegSegment(0xda, [1, 1, 0x00, 0, 63, 0]),
    Buffer.from(scan),
    Buffer.from([0xff, 0xd9]),
  ]);
}

/** Seconds of speech for a text: about 15 characters a second, at least a quarter second. */
export function speechSeconds(text: string): number {
  return Math.max(0.25, Math.round((Array.from(text).length / 15) * 100) / 100);
}

export type PcmEncoding = 'pcm_f32le' | 'pcm_s16le' | 'pcm_mulaw' | 'pcm_alaw';

const BYTES_PER_SAMPLE: Record<PcmEncoding, number> = { pcm_f32le: 4, pcm_s16le: 2, pcm_mulaw: 1, pcm_alaw: 1 };

export function bytesPerSample(encoding: PcmEncoding): number {
  return BYTES_PER_SAMPLE[encoding];
}

/** Samples `from` to `from + count` of a quiet 220 Hz tone as PCM in the encoding asked for. */
export function tonePcm(from: number, count: number, sampleRate: number, encoding: PcmEncoding): Buffer {
  const width = BYTES_PER_SAMPLE[encoding];
  const out = Buffer.alloc(count * width);
  for (let i = 0; i < count; i++) {
    const v = 0.05 * Math.sin((2 * Math.PI * 220 * (from + i)) / sampleRate);
    if (encoding === 'pcm_f32le') out.writeFloatLE(v, i * 4);
    else if (encoding === 'pcm_s16le') out.writeInt16LE(Math.round(v * 32767), i * 2);
    else out[i] = encoding === 'pcm_mulaw' ? 0xff : 0xd5; // the codes for silence
  }
  return out;
}

/**
 * The RIFF/WAVE header for `dataBytes` of PCM (format 3 for float, 1 for 16-bit, 7 µ-law, 6 A-law). Formats other than plain PCM carry
 * the 18-byte fmt chunk and a `fact` chunk, as the WAVE spec asks and decoders (sox) expect.
 */
export function wavHeader(dataBytes: number, sampleRate: number, encoding: PcmEncoding): Buffer {
  const width = BYTES_PER_SAMPLE[encoding];
  const format = { pcm_f32le: 3, pcm_s16le: 1, pcm_mulaw: 7, pcm_alaw: 6 }[encoding];
  const plain = format === 1;
  const fmt = Buffer.alloc(plain ? 16 : 18);
  fmt.writeUInt16LE(format, 0);
  fmt.writeUInt16LE(1, 2); // mono
  fmt.writeUInt32LE(sampleRate, 4);
  fmt.writeUInt32LE(sampleRate * width, 8);
  fmt.writeUInt16LE(width, 12);
  fmt.writeUInt16LE(width * 8, 14); // cbSize (bytes 16-17) stays 0
  const chunk = (id: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'latin1');
    head.writeUInt32LE(body.length, 4);
    return Buffer.concat([head, body]);
  };
  const fact = Buffer.alloc(4);
  fact.writeUInt32LE(dataBytes / width, 0);
  const head = Buffer.concat([Buffer.from('WAVE', 'latin1'), chunk('fmt ', fmt), ...(plain ? [] : [chunk('fact', fact)]), Buffer.from('data', 'latin1'), Buffer.alloc(4)]);
  head.writeUInt32LE(dataBytes, head.length - 4);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(head.length + dataBytes, 4);
  return Buffer.concat([riff, head]);
}

/** A whole WAV file around PCM bytes. */
export function wav(pcm: Buffer, sampleRate: number, encoding: PcmEncoding): Buffer {
  return Buffer.concat([wavHeader(pcm.length, sampleRate, encoding), pcm]);
}

const MP3_BITRATES = [32000, 40000, 48000, 56000, 64000, 80000, 96000, 112000, 128000, 160000, 192000, 224000, 256000, 320000];
const MP3_RATES: Record<number, number> = { 44100: 0, 48000: 1, 32000: 2 };

/**
 * MPEG-1 Layer III frames of silence (zeroed side information and main data, which decoders play as silence)
 * at a bitrate and a 32/44.1/48 kHz rate, enough frames for `seconds`.
 */
export function silentMp3(seconds: number, bitRate: number, sampleRate: number): Buffer {
  const rate = MP3_RATES[sampleRate] !== undefined ? sampleRate : 44100;
  const bitrateIndex = MP3_BITRATES.indexOf(bitRate) + 1 || 9;
  const frameBytes = Math.floor((144 * (MP3_BITRATES[bitrateIndex - 1] as number)) / rate);
  const frame = Buffer.alloc(frameBytes);
  frame[0] = 0xff;
  frame[1] = 0xfb; // MPEG-1, Layer III, no CRC
  frame[2] = (bitrateIndex << 4) | ((MP3_RATES[rate] as number) << 2);
  frame[3] = 0xc4; // mono
  const frames = Math.max(1, Math.ceil((seconds * rate) / 1152));
  return Buffer.concat(Array.from({ length: frames }, () => frame));
}
