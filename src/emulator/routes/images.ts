// POST /v1/images/generations: Together's ImageResponse with `n` images as a URL (a data: URL, so nothing is
// stored) or base64, a PNG or JPEG of the asked size; priced per megapixel like Together's FLUX models and
// admitted like chat (faults, rate limits, credits).
import { z } from 'zod';
import { sendJson } from '../http.js';
import type { Exchange } from '../http.js';
import { acceptRequest, admit, resolveModel, responseEnvelope } from '../inference.js';
import { solidJpeg, solidPng } from '../media.js';
import { seededRandom } from '../prng.js';
import type { Route } from '../router.js';
import type { EmulatorState } from '../state.js';

/** The emulator's bounds on an image request (Together's own are per model and not published). */
export const IMAGE_LIMITS = { minSide: 64, maxSide: 2048, maxImages: 4, maxSteps: 50, maxPromptChars: 8000 } as const;

/**
 * USD per megapixel per image, from Together's pricing page (2026-12); ids not listed cost 0.025 (FLUX.1 dev's
 * price). The -Free model is free.
 */
const PRICE_PER_MEGAPIXEL: Record<string, number> = {
  'black-forest-labs/FLUX.1-schnell-Free': 0,
  'black-forest-labs/FLUX.1-schnell': 0.0027,
  'black-forest-labs/FLUX.1-dev': 0.025,
  'black-forest-labs/FLUX.1.1-pro': 0.04,
  'black-forest-labs/FLUX.1-kontext-pro': 0.04,
  'black-forest-labs/FLUX.1-kontext-max': 0.08,
  'black-forest-labs/FLUX.1-kontext-dev': 0.025,
  'black-forest-labs/FLUX.1-krea-dev': 0.025,
};

const side = z.number().int().min(IMAGE_LIMITS.minSide).max(IMAGE_LIMITS.maxSide).refine((v) => v % 8 === 0, 'must be a multiple of 8');

export const imageRequestSchema = z.looseObject({
  model: z.string().min(1),
  prompt: z.string().min(1).max(IMAGE_LIMITS.maxPromptChars),
  steps: z.number().int().min(1).max(IMAGE_LIMITS.maxSteps).nullish(),
  image_url: z.string().nullish(),
  seed: z.number().int().nullish(),
  n: z.number().int().min(1).max(IMAGE_LIMITS.maxImages).nullish(),
  height: side.nullish(),
  width: side.nullish(),
  negative_prompt: z.string().nullish(),
  // Together's enum is base64 / url; the openai SDK sends b64_json, which Together's API takes as base64.
  response_format: z.enum(['base64', 'b64_json', 'url']).nullish(),
  guidance_scale: z.number().nullish(),
  output_format: z.enum(['jpeg', 'png']).nullish(),
  image_loras: z.array(z.looseObject({ path: z.string(), scale: z.number() })).nullish(),
  reference_images: z.array(z.string()).nullish(),
  disable_safety_checker: z.boolean().nullish(),
});

const EXAMPLE = '{"model": "black-forest-labs/FLUX.1-schnell", "prompt": "a cat floating in space", "response_format": "base64"}';

const SIDE_FIX = `a multiple of 8 from ${IMAGE_LIMITS.minSide} to ${IMAGE_LIMITS.maxSide}, e.g. 1024`;
const FIXES: Record<string, string> = {
  model: 'Set `model` to an image model from GET /v1/models, e.g. "black-forest-labs/FLUX.1-schnell".',
  prompt: `Send \`prompt\` as a non-empty string of at most ${IMAGE_LIMITS.maxPromptChars} characters.`,
  width: `Send \`width\` as ${SIDE_FIX}.`,
  height: `Send \`height\` as ${SIDE_FIX}.`,
  n: `Send \`n\` as an integer from 1 to ${IMAGE_LIMITS.maxImages}.`,
  steps: `Send \`steps\` as an integer from 1 to ${IMAGE_LIMITS.maxSteps}.`,
  response_format: 'Send `response_format` as "url" or "base64".',
  output_format: 'Send `output_format` as "jpeg" or "png".',
  image_loras: 'Send `image_loras` as an array of {"path": "<url>", "scale": 1}.',
  reference_images: 'Send `reference_images` as an array of image URLs.',
};

async function generateImages(state: EmulatorState, ex: Exchange): Promise<void> {
  const accepted = await acceptRequest(state, ex, imageRequestSchema, EXAMPLE, FIXES);
  if (!accepted) return;
  const { key, body } = accepted;
  const model = resolveModel(state, ex, key, body.model, 'image');
  if (!model) return;
  const width = body.width ?? 1024;
  const height = body.height ?? 1024;
  const n = body.n ?? 1;
  const megapixels = (width * height) / 1_000_000;
  const costUsd = megapixels * n * (PRICE_PER_MEGAPIXEL[model.id] ?? 0.025);
  const admission = await admit(state, ex, { key, model, stream: false, promptTokens: 0, completionTokens: 0, costUsd });
  if (!admission) return;
  const format = body.output_format ?? 'jpeg';
  const env = responseEnvelope(state, ex, '/v1/images/generations', body, model.id);
  const data = Array.from({ length: n }, (_, index) => {
    const random = seededRandom(state.config.seed, body.seed ?? '', model.id, body.prompt, index, 'image');
    const bytes = format === 'png' ? solidPng(width, height, random) : solidJpeg(width, height, random);
    const b64 = bytes.toString('base64');
    return body.response_format === 'base64' || body.response_format === 'b64_json'
      ? { index, b64_json: b64, type: 'b64_json' }
      : { index, url: `data:image/${format};base64,${b64}`, type: 'url' };
  });
  sendJson(ex, 200, { id: env.id, model: model.id, object: 'list', data });
}

export function imageRoutes(state: EmulatorState): Route[] {
  return [{ method: 'POST', path: '/v1/images/generations', handler: (ex) => generateImages(state, ex) }];
}
