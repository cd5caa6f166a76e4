// Validates HTTP responses against Together's own OpenAPI description (test/fixtures/together-openapi.yaml),
// so the emulator is checked against the published contract, not against schemas we wrote ourselves.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';

const SPEC_PATH = fileURLToPath(new URL('../../fixtures/together-openapi.yaml', import.meta.url));
/** The $id the whole (rewritten) document is registered under; every local `#/...` ref is made absolute to it. */
const SPEC_ID = 'https://tether.test/together-openapi.json';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface ResponseCheck {
  /** True when the body satisfies the schema the spec declares. */
  valid: boolean;
  /** Where the schema came from, e.g. `POST /chat/completions 200 application/json`; null when the spec declares none. */
  schemaRef: string | null;
  /** Readable validation errors (`/choices/0/delta: must have required property 'role'`), empty when valid. */
  errors: string[];
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOnlyNullableMarker(value: Json): boolean {
  return isObject(value) && Object.keys(value).length === 1 && value.nullable === true;
}

/**
 * Turns the document's OpenAPI-isms into plain JSON Schema 2020-12:
 * - local refs `#/x` become `SPEC_ID#/x`, so any fragment can be compiled on its own;
 * - `nullable: true` (an OpenAPI 3.0 keyword the 3.1 file still uses, also as `allOf: [X, {nullable: true}]`)
 *   becomes `anyOf: [schema, {type: 'null'}]`; ignoring it would reject the `null`s Together really sends
 *   (e.g. `finish_reason: null` on every stream chunk but the last).
 * Other OpenAPI-only keywords (`discriminator`, `example`, `x-*`) are annotations; Ajv runs non-strict and skips them.
 */
export function toJsonSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  let nullable = false;
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#')) {
      out[key] = SPEC_ID + value;
    } else if (key === 'nullable' && typeof value === 'boolean') {
      nullable = value;
    } else if (key === 'allOf' && Array.isArray(value) && value.some(isOnlyNullableMarker)) {
      nullable = true;
      const rest = value.filter((member) => !isOnlyNullableMarker(member));
      if (rest.length > 0) out[key] = rest.map(toJsonSchema);
    } else {
      out[key] = toJsonSchema(value);
    }
  }
  return nullable ? { anyOf: [out, { type: 'null' }] } : out;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function formatErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}${paramsText(e)}`);
}

function paramsText(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  if ('allowedValues' in params) return ` (${JSON.stringify(params.allowedValues)})`;
  if ('allowedValue' in params) return ` (${JSON.stringify(params.allowedValue)})`;
  if ('additionalProperty' in params) return ` (${String(params.additionalProperty)})`;
  return '';
}

/** `/v1/files/abc` matches the template `/files/{id}`; the server's `/v1` prefix is optional. */
function matchesTemplate(template: string, path: string): boolean {
  const pattern = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^(?:/v1)?${pattern}$`).test(path);
}

function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

export class OpenApiContract {
  private readonly ajv: Ajv2020;
  private readonly paths: JsonObject;
  private readonly schemaNames: Set<string>;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(document: Json) {
    if (!isObject(document) || !isObject(document.paths) || !isObject(document.components)) {
      throw new Error('the OpenAPI document has no `paths` or `components`: is this an OpenAPI 3.1 file?');
    }
    const components = document.components;
    const schemas = isObject(components.schemas) ? components.schemas : {};
    this.paths = toJsonSchema(document.paths) as JsonObject;
    this.schemaNames = new Set(Object.keys(schemas));
    // strict: false lets OpenAPI annotations through; allErrors gives the full list when a body is wrong.
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormatsPlugin.default(this.ajv);
    for (const format of ['int32', 'int64', 'float', 'double', 'byte', 'binary', 'password']) {
      this.ajv.addFormat(format, true);
    }
    this.ajv.addSchema({ $id: SPEC_ID, components: { schemas: toJsonSchema(schemas) } });
  }

  /** Every `METHOD /path` the document declares, e.g. `POST /chat/completions`. */
  operations(): string[] {
    return Object.entries(this.paths).flatMap(([path, item]) =>
      isObject(item) ? Object.keys(item).filter((m) => HTTP_METHODS.includes(m)).map((m) => `${m.toUpperCase()} ${path}`) : [],
    );
  }

  /**
   * Validates one response body against the schema the spec declares for `method path` at `status`
   * (falling back to `4XX`-style ranges, then `default`) and `contentType`. For `text/event-stream`, pass each
   * event as the spec models it: `{ data: <parsed chunk> }` or `{ data: '[DONE]' }`.
   * Throws when the operation is not in the spec (a test bug, not a contract failure).
   */
  validateResponse(method: string, path: string, status: number, contentType: string, body: unknown): ResponseCheck {
    const operationKey = `${method.toUpperCase()} ${path}`;
    const templatePath = Object.keys(this.paths).find((t) => matchesTemplate(t, path));
    const item = templatePath === undefined ? undefined : this.paths[templatePath];
    const operation = isObject(item) ? item[method.toLowerCase()] : undefined;
    if (templatePath === undefined || !isObject(operation)) {
      throw new Error(`the spec has no operation ${operationKey}; known operations include ${this.operations().slice(0, 5).join(', ')}, …`);
    }
    const responses = isObject(operation.responses) ? operation.responses : {};
    const statusKey = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => k in responses);
    const response = statusKey === undefined ? undefined : responses[statusKey];
    const media = mediaType(contentType);
    const content = isObject(response) && isObject(response.content) ? response.content : undefined;
    const mediaObject = content?.[media];
    if (statusKey === undefined || !isObject(mediaObject) || mediaObject.schema === undefined) {
      const declared = content ? Object.keys(content).join(', ') : 'nothing';
      return {
        valid: false,
        schemaRef: null,
        errors: [`the spec declares no ${media} schema for ${method.toUpperCase()} ${templatePath} ${status} (it declares ${statusKey === undefined ? 'no such status' : declared})`],
      };
    }
    const pointer = ['paths', templatePath, method.toLowerCase(), 'responses', statusKey, 'content', media, 'schema']
      .map(escapePointer)
      .join('/');
    const schemaRef = `${method.toUpperCase()} ${templatePath} ${statusKey} ${media}`;
    const validate = this.compileOnce(pointer, () => mediaObject.schema as JsonObject);
    const valid = validate(body);
    return { valid, schemaRef, errors: valid ? [] : formatErrors(validate.errors) };
  }

  /** Validates a value against `#/components/schemas/<name>` (e.g. `ErrorData`). */
  validateSchema(name: string, value: unknown): ResponseCheck {
    if (!this.schemaNames.has(name)) {
      throw new Error(`the spec has no schema components.schemas.${name}`);
    }
    const validate = this.compileOnce(`components/schemas/${name}`, () => ({ $ref: `${SPEC_ID}#/components/schemas/${escapePointer(name)}` }));
    const valid = validate(value);
    return { valid, schemaRef: `#/components/schemas/${name}`, errors: valid ? [] : formatErrors(validate.errors) };
  }

  private compileOnce(key: string, schema: () => JsonObject): ValidateFunction {
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(schema());
      this.compiled.set(key, validate);
    }
    return validate;
  }
}

let shared: OpenApiContract | undefined;

/** The contract built from the repo's copy of Together's OpenAPI file; parsed once per process. */
export function loadContract(): OpenApiContract {
  shared ??= new OpenApiContract(parseYaml(readFileSync(SPEC_PATH, 'utf8')) as Json);
  return shared;
}

/** Shorthand for `loadContract().validateResponse(...)`. */
export function validateResponse(method: string, path: string, status: number, contentType: string, body: unknown): ResponseCheck {
  return loadContract().validateResponse(method, path, status, contentType, body);
}

/** Shorthand for `loadContract().validateSchema(...)`. */
export function validateSchema(name: string, value: unknown): ResponseCheck {
  return loadContract().validateSchema(name, value);
}
