// Message content: a string, or a list of content parts (text and base64 images) as Together's
// vision fine-tuning accepts it (finetune-validation-rules.md, C0-C10).
import type { Problem } from './types.js';
import type { RuleId } from './rules.js';

export const MAX_IMAGES_PER_EXAMPLE = 10;
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
const IMAGE_PREFIXES = ['data:image/jpeg;base64,', 'data:image/png;base64,', 'data:image/webp;base64,'];
/** Together compares the whole URL's length with the jpeg prefix plus the base64 size of 10 MiB. */
export const MAX_IMAGE_URL_LENGTH = 'data:image/jpeg;base64,'.length + Math.floor((4 * MAX_IMAGE_BYTES) / 3);

export type ContentKind = 'string' | 'list' | 'invalid';

export interface ContentResult {
  kind: ContentKind;
  images: number;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short, safe description of a JSON value's type for messages ("null", "a number", "an object"). */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

/**
 * Checks one content value. `where` names it in messages (`messages[2].content`); `role` decides whether
 * images are allowed (user only); `typeRule` is the rule reported when the value is neither string nor list.
 */
export function checkContent(content: unknown, role: string, where: string, typeRule: RuleId, problems: Problem[]): ContentResult {
  if (typeof content === 'string') {
    if (content.length === 0) {
      problems.push({ rule: 'content.empty', message: `${where} is an empty string; give it text or drop the example (an empty turn trains nothing).` });
    }
    return { kind: 'string', images: 0 };
  }
  if (!Array.isArray(content)) {
    problems.push({
      rule: typeRule,
      message: `${where} is ${describeType(content)}; it must be a string, or a list of content parts like [{"type": "text", "text": "..."}].`,
    });
    return { kind: 'invalid', images: 0 };
  }
  let images = 0;
  content.forEach((part: unknown, index) => {
    if (checkPart(part, role, `${where}[${index}]`, problems)) images += 1;
  });
  if (images > MAX_IMAGES_PER_EXAMPLE) {
    problems.push({ rule: 'content.image-count', message: `${where} has ${images} images; Together allows at most ${MAX_IMAGES_PER_EXAMPLE} per message. Split the example.` });
  }
  return { kind: 'list', images };
}

/** Checks one content part; returns true when it is an image part (valid or not) so images are counted. */
function checkPart(part: unknown, role: string, where: string, problems: Problem[]): boolean {
  if (!isPlainObject(part)) {
    problems.push({ rule: 'content.part', message: `${where} is ${describeType(part)}; each content part must be an object with a "type".` });
    return false;
  }
  if (!('type' in part)) {
    problems.push({ rule: 'content.part', message: `${where} has no "type"; use {"type": "text", "text": "..."} or {"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}.` });
    return false;
  }
  if (part.type === 'text') {
    if (typeof part.text !== 'string') {
      problems.push({ rule: 'content.part', message: `${where} is a text part whose "text" is ${describeType(part.text)}; it must be a string.` });
    }
    return false;
  }
  if (part.type === 'image_url') {
    checkImage(part, role, where, problems);
    return true;
  }
  problems.push({
    rule: 'content.part',
    message: `${where} has type ${JSON.stringify(part.type)}; only "text" and "image_url" parts are accepted.`,
  });
  return false;
}

function checkImage(part: Record<string, unknown>, role: string, where: string, problems: Problem[]): void {
  if (role !== 'user') {
    problems.push({ rule: 'content.image-role', message: `${where} is an image in a ${role} message; images are accepted in user messages only.` });
  }
  const image = part.image_url;
  if (!isPlainObject(image)) {
    problems.push({ rule: 'content.image-url', message: `${where}.image_url is ${describeType(image)}; it must be an object {"url": "data:image/png;base64,..."}.` });
    return;
  }
  const url = image.url;
  if (typeof url !== 'string' || url.length === 0) {
    problems.push({ rule: 'content.image-url', message: `${where}.image_url.url must be a non-empty string (a base64 data URL).` });
    return;
  }
  if (!IMAGE_PREFIXES.some((prefix) => url.startsWith(prefix))) {
    const shown = url.slice(0, 30);
    problems.push({
      rule: 'content.image-url',
      message: `${where}.image_url.url starts with ${JSON.stringify(shown)}; Together accepts only inline base64 images starting with ${IMAGE_PREFIXES.join(', ')} (no http URLs; write image/jpeg, not image/jpg).`,
    });
    return;
  }
  if (url.length > MAX_IMAGE_URL_LENGTH) {
    problems.push({
      rule: 'content.image-size',
      message: `${where} is a ${url.length}-character data URL; the limit is ${MAX_IMAGE_URL_LENGTH} (10 MiB of image). Downscale or recompress it.`,
    });
  }
}
