// A small deterministic generator of JSON values that satisfy a JSON Schema: what the emulator answers for
// `response_format: json_schema` and for tool-call `arguments`. It covers what structured-output clients send
// (Together's strict subset and more): type (and type lists), properties / required / additionalProperties,
// items / prefixItems / min-/maxItems / uniqueItems, enum, const, $ref into $defs / definitions, anyOf / oneOf /
// allOf, string formats and length bounds, number bounds and multipleOf. Every choice comes from the PRNG, so
// one seed gives one value. A schema it cannot satisfy is reported, never answered with a wrong value.
import type { Random } from './prng.js';
import { randomInt } from './prng.js';

/** Limits on what one schema may cost: recursion and the size of the value. */
export const SCHEMA_LIMITS = {
  /** $ref hops and nesting levels followed before optional parts are dropped and required ones fail. */
  maxDepth: 24,
  /** Items generated for an array with no maxItems (at least minItems). */
  defaultMaxItems: 3,
  /** Values in the whole instance: a schema demanding more (huge minItems) is refused. */
  maxValues: 10_000,
} as const;

export class UnsatisfiableSchema extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path || '#'}: ${reason}`);
  }
}

type Schema = boolean | Record<string, unknown>;

const WORDS = ['alpha', 'bravo', 'delta', 'echo', 'kilo', 'lima', 'nova', 'orbit', 'pixel', 'quartz', 'river', 'solar', 'tango', 'umber', 'vivid', 'willow'];

interface Context {
  random: Random;
  root: Schema;
  values: number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** `#`, `#/$defs/x`, `#/definitions/x`, any local JSON pointer. */
function resolveRef(ctx: Context, ref: string, path: string): Schema {
  if (!ref.startsWith('#')) throw new UnsatisfiableSchema(path, `only local $ref ("#/...") is supported, got "${ref}"`);
  let node: unknown = ctx.root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const part = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) && !Array.isArray(node)) throw new UnsatisfiableSchema(path, `$ref "${ref}" points nowhere`);
    node = (node as Record<string, unknown>)[part];
  }
  if (typeof node !== 'boolean' && !isObject(node)) throw new UnsatisfiableSchema(path, `$ref "${ref}" points nowhere`);
  return node;
}

/** allOf members merged into one schema: properties and required unioned, the tighter bound kept. */
function mergeAll(ctx: Context, base: Record<string, unknown>, path: string, depth: number): Record<string, unknown> {
  const members = (base.allOf as unknown[]).map((m) => deref(ctx, m as Schema, path, depth));
  const out: Record<string, unknown> = { ...base };
  delete out.allOf;
  for (const member of members) {
    if (member === false) throw new UnsatisfiableSchema(path, 'allOf holds `false`');
    if (member === true) continue;
    const m = member.allOf ? mergeAll(ctx, member, path, depth + 1) : member;
    for (const [key, value] of Object.entries(m)) {
      if (key === 'properties' && isObject(value)) out.properties = { ...(out.properties as object), ...value };
      else if (key === 'required' && Array.isArray(value)) out.required = [...new Set([...((out.required as string[]) ?? []), ...value])];
      else if (['minimum', 'minLength', 'minItems', 'exclusiveMinimum', 'minProperties'].includes(key) && typeof value === 'number')
        out[key] = Math.max(value, typeof out[key] === 'number' ? (out[key] as number) : -Infinity);
      else if (['maximum', 'maxLength', 'maxItems', 'exclusiveMaximum', 'maxProperties'].includes(key) && typeof value === 'number')
        out[key] = Math.min(value, typeof out[key] === 'number' ? (out[key] as number) : Infinity);
      else if (!(key in out)) out[key] = value;
    }
  }
  return out;
}

function deref(ctx: Context, schema: Schema, path: string, depth: number): Schema {
  let node = schema;
  for (let hops = 0; isObject(node) && typeof node.$ref === 'string'; hops++) {
    if (hops > SCHEMA_LIMITS.maxDepth) throw new UnsatisfiableSchema(path, '$ref chain too long (a cycle?)');
    const { $ref, ...siblings } = node;
    const target = resolveRef(ctx, $ref as string, path);
    node = Object.keys(siblings).length && isObject(target) ? { ...target, ...siblings } : target;
  }
  if (isObject(node) && Array.isArray(node.allOf)) node = mergeAll(ctx, node, path, depth);
  return node;
}

function count(ctx: Context, path: string): void {
  ctx.values++;
  if (ctx.values > SCHEMA_LIMITS.maxValues) throw new UnsatisfiableSchema(path, `the instance would hold more than ${SCHEMA_LIMITS.maxValues} values`);
}

function typeOf(schema: Record<string, unknown>): string | undefined {
  if (Array.isArray(schema.type)) return undefined;
  if (typeof schema.type === 'string') return schema.type;
  if (schema.properties || schema.required || schema.additionalProperties !== undefined) return 'object';
  if (schema.items || schema.prefixItems) return 'array';
  if (schema.minLength !== undefined || schema.maxLength !== undefined || schema.format || schema.pattern) return 'string';
  if (schema.minimum !== undefined || schema.maximum !== undefined || schema.multipleOf !== undefined) return 'number';
  return undefined;
}

/** The value for `schema`; `path` names where it sits, for errors. */
function instance(ctx: Context, raw: Schema, path: string, depth: number): unknown {
  if (depth > SCHEMA_LIMITS.maxDepth) throw new UnsatisfiableSchema(path, `nesting deeper than ${SCHEMA_LIMITS.maxDepth} levels (a required recursive property?)`);
  const schema = deref(ctx, raw, path, depth);
  if (schema === false) throw new UnsatisfiableSchema(path, 'the schema is `false`');
  count(ctx, path);
  if (schema === true) return pick(ctx.random, WORDS);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) {
    if (schema.enum.length === 0) throw new UnsatisfiableSchema(path, '`enum` is empty');
    return pick(ctx.random, schema.enum);
  }
  const options = (Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined) as Schema[] | undefined;
  if (options) {
    if (options.length === 0) throw new UnsatisfiableSchema(path, '`anyOf`/`oneOf` is empty');
    const { anyOf: _a, oneOf: _o, ...rest } = schema;
    // oneOf: the first branch is tried first, which is the one clients put their main shape in; a generated
    // value that also matched another branch would break oneOf, so branches that are plain types are preferred.
    const start = Array.isArray(schema.oneOf) ? 0 : Math.floor(ctx.random() * options.length);
    let lastError: unknown;
    for (let i = 0; i < options.length; i++) {
      const option = options[(start + i) % options.length] as Schema;
      try {
        const merged = isObject(option) && Object.keys(rest).length ? { ...rest, ...deref(ctx, option, path, depth) as object } : option;
        return instance(ctx, merged as Schema, path, depth + 1);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }
  let type = typeOf(schema);
  if (type === undefined && Array.isArray(schema.type)) {
    const types = (schema.type as string[]).filter((t) => t !== 'null');
    type = types.length ? pick(ctx.random, types) : 'null';
  }
  switch (type ?? 'string') {
    case 'object':
      return objectInstance(ctx, schema, path, depth);
    case 'array':
      return arrayInstance(ctx, schema, path, depth);
    case 'string':
      return stringInstance(ctx, schema, path);
    case 'integer':
      return numberInstance(ctx, schema, path, true);
    case 'number':
      return numberInstance(ctx, schema, path, false);
    case 'boolean':
      return ctx.random() < 0.5;
    case 'null':
      return null;
    default:
      throw new UnsatisfiableSchema(path, `unknown type "${String(type)}"`);
  }
}

function objectInstance(ctx: Context, schema: Record<string, unknown>, path: string, depth: number): Record<string, unknown> {
  const properties = isObject(schema.properties) ? (schema.properties as Record<string, Schema>) : {};
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  const out: Record<string, unknown> = {};
  // Keys set so far: counted, not Object.keys(out).length per step (quadratic: minProperties 1e8 held the emulator 6 s).
  let count = 0;
  const set = (name: string, value: unknown): void => {
    if (!Object.hasOwn(out, name)) count++;
    // defineProperty: a property named "__proto__" is a key like any other, never the object's prototype.
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  };
  const deep = depth > SCHEMA_LIMITS.maxDepth / 2;
  const minProperties = typeof schema.minProperties === 'number' ? schema.minProperties : 0;
  const maxProperties = typeof schema.maxProperties === 'number' ? schema.maxProperties : Infinity;
  if (minProperties > SCHEMA_LIMITS.maxValues) throw new UnsatisfiableSchema(path, `minProperties ${minProperties} is over ${SCHEMA_LIMITS.maxValues}`);
  if (required.length > maxProperties) throw new UnsatisfiableSchema(path, 'more required properties than maxProperties');
  for (const name of required) {
    const sub = properties[name] ?? (isObject(schema.additionalProperties) ? (schema.additionalProperties as Schema) : true);
    set(name, instance(ctx, sub, `${path}/${name}`, depth + 1));
  }
  // Optional properties: most of them, unless deep in a recursive schema (where they would never end).
  for (const [name, sub] of Object.entries(properties)) {
    if (Object.hasOwn(out, name) || count >= maxProperties) continue;
    if (deep || ctx.random() < 0.3) continue;
    try {
      set(name, instance(ctx, sub, `${path}/${name}`, depth + 1));
    } catch (error) {
      if (!(error instanceof UnsatisfiableSchema)) throw error;
    }
  }
  // Up to minProperties: the optional ones left out, then extra keys where additionalProperties allows them.
  for (const [name, sub] of Object.entries(properties)) {
    if (count >= minProperties) break;
    if (!Object.hasOwn(out, name)) set(name, instance(ctx, sub, `${path}/${name}`, depth + 1));
  }
  for (let extra = 0; count < minProperties; extra++) {
    if (schema.additionalProperties === false) throw new UnsatisfiableSchema(path, 'minProperties cannot be met without additional properties');
    const sub = isObject(schema.additionalProperties) ? (schema.additionalProperties as Schema) : true;
    const name = `extra_${extra}`;
    if (!Object.hasOwn(out, name) && !Object.hasOwn(properties, name)) set(name, instance(ctx, sub, `${path}/${name}`, depth + 1));
  }
  return out;
}

function arrayInstance(ctx: Context, schema: Record<string, unknown>, path: string, depth: number): unknown[] {
  const prefix = Array.isArray(schema.prefixItems) ? (schema.prefixItems as Schema[]) : [];
  const items = (schema.items ?? true) as Schema;
  const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
  const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
  if (minItems > maxItems) throw new UnsatisfiableSchema(path, `minItems ${minItems} > maxItems ${maxItems}`);
  if (minItems > SCHEMA_LIMITS.maxValues) throw new UnsatisfiableSchema(path, `minItems ${minItems} is over ${SCHEMA_LIMITS.maxValues}`);
  const deep = depth > SCHEMA_LIMITS.maxDepth / 2;
  const upper = Math.min(maxItems, Math.max(minItems, items === false ? prefix.length : SCHEMA_LIMITS.defaultMaxItems));
  const length = deep ? minItems : randomInt(ctx.random, Math.min(minItems, upper), upper);
  const out: unknown[] = [];
  const seen = new Set<string>();
  const unique = schema.uniqueItems === true;
  for (let i = 0; i < length; i++) {
    const sub = i < prefix.length ? (prefix[i] as Schema) : items;
    if (sub === false) throw new UnsatisfiableSchema(`${path}/${i}`, 'items is `false` but minItems asks for more');
    let value = instance(ctx, sub, `${path}/${i}`, depth + 1);
    // uniqueItems: redraw a few times, then give up on optional items (or fail on required ones).
    for (let tries = 0; unique && seen.has(JSON.stringify(value)) && tries < 20; tries++) value = instance(ctx, sub, `${path}/${i}`, depth + 1);
    if (unique && seen.has(JSON.stringify(value))) {
      if (i >= minItems) break;
      throw new UnsatisfiableSchema(path, 'cannot find enough distinct items for uniqueItems');
    }
    seen.add(JSON.stringify(value));
    out.push(value);
  }
  return out;
}

const FORMATS: Record<string, (random: Random) => string> = {
  'date-time': (r) => new Date(Date.UTC(2020, 0, 1) + Math.floor(r() * 2e11)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  date: (r) => new Date(Date.UTC(2020, 0, 1) + Math.floor(r() * 2e11)).toISOString().slice(0, 10),
  time: (r) => `${String(randomInt(r, 0, 23)).padStart(2, '0')}:${String(randomInt(r, 0, 59)).padStart(2, '0')}:${String(randomInt(r, 0, 59)).padStart(2, '0')}Z`,
  email: (r) => `${pick(r, WORDS)}.${pick(r, WORDS)}@example.com`,
  hostname: (r) => `${pick(r, WORDS)}.example.com`,
  uri: (r) => `https://example.com/${pick(r, WORDS)}`,
  url: (r) => `https://example.com/${pick(r, WORDS)}`,
  uuid: (r) => {
    const hex = Array.from({ length: 32 }, () => Math.floor(r() * 16).toString(16));
    hex[12] = '4';
    hex[16] = '8';
    const h = hex.join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  },
  ipv4: (r) => Array.from({ length: 4 }, () => randomInt(r, 1, 254)).join('.'),
  ipv6: (r) => Array.from({ length: 8 }, () => randomInt(r, 0, 0xffff).toString(16)).join(':'),
  duration: (r) => `P${randomInt(r, 1, 30)}D`,
};

function stringInstance(ctx: Context, schema: Record<string, unknown>, path: string): string {
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  if (minLength > maxLength) throw new UnsatisfiableSchema(path, `minLength ${minLength} > maxLength ${maxLength}`);
  if (minLength > 100_000) throw new UnsatisfiableSchema(path, `minLength ${minLength} is over 100000`);
  const format = typeof schema.format === 'string' ? FORMATS[schema.format] : undefined;
  if (format) {
    const value = format(ctx.random);
    if (value.length >= minLength && value.length <= maxLength) return value;
  }
  if (typeof schema.pattern === 'string') {
    const simple = patternInstance(schema.pattern, ctx.random);
    if (simple === undefined) throw new UnsatisfiableSchema(path, `pattern "${schema.pattern}" is beyond the emulator's generator`);
    return simple;
  }
  // Code points, not UTF-16 units: JSON Schema lengths count code points; the words are ASCII anyway.
  let text = pick(ctx.random, WORDS);
  while (text.length < minLength) text += ` ${pick(ctx.random, WORDS)}`;
  return text.slice(0, Math.min(maxLength, Math.max(minLength, text.length)));
}

/** A string for the simplest patterns only: a literal, or ^…$ around character classes with counts. */
function patternInstance(pattern: string, random: Random): string | undefined {
  const body = pattern.replace(/^\^/, '').replace(/\$$/, '');
  let out = '';
  const re = /\[([^\]]+)\](\{(\d+)(,(\d*))?\}|\+|\*|\?)?|\\d(\{(\d+)(,(\d*))?\}|\+|\*|\?)?|([A-Za-z0-9 _\-:.@]+)/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = re.exec(body)) !== null) {
    consumed = re.lastIndex;
    if (match[10] !== undefined) {
      out += match[10];
      continue;
    }
    const cls = match[1] !== undefined ? expandClass(match[1]) : '0123456789';
    if (!cls) return undefined;
    const quant = match[1] !== undefined ? match[2] : match[6];
    const lo = match[1] !== undefined ? match[3] : match[7];
    const n = quant === undefined || quant === '?' ? 1 : quant === '+' ? 2 : quant === '*' ? 1 : Number(lo);
    for (let i = 0; i < n; i++) out += cls.charAt(Math.floor(random() * cls.length));
  }
  if (consumed !== body.length) return undefined;
  return new RegExp(pattern, 'u').test(out) ? out : undefined;
}

function expandClass(cls: string): string | undefined {
  if (cls.startsWith('^')) return undefined;
  let out = '';
  for (let i = 0; i < cls.length; i++) {
    const c = cls.charAt(i);
    if (cls.charAt(i + 1) === '-' && i + 2 < cls.length) {
      for (let code = c.charCodeAt(0); code <= cls.charCodeAt(i + 2); code++) out += String.fromCharCode(code);
      i += 2;
    } else if (c === '\\') return undefined;
    else out += c;
  }
  return out || undefined;
}

function numberInstance(ctx: Context, schema: Record<string, unknown>, path: string, integer: boolean): number {
  const num = (key: string): number | undefined => (typeof schema[key] === 'number' ? (schema[key] as number) : undefined);
  let lo = num('minimum') ?? -Infinity;
  let hi = num('maximum') ?? Infinity;
  const exLo = num('exclusiveMinimum');
  const exHi = num('exclusiveMaximum');
  const multipleOf = num('multipleOf');
  const step = multipleOf ?? (integer ? 1 : undefined);
  if (step !== undefined) {
    // Multiples of `step` (integers when the type says so) strictly inside the exclusive bounds.
    const unit = integer && multipleOf !== undefined && !Number.isInteger(multipleOf) ? undefined : step;
    if (unit === undefined || unit <= 0) throw new UnsatisfiableSchema(path, `multipleOf ${String(multipleOf)} is not usable for an integer`);
    if (exLo !== undefined) lo = Math.max(lo, Math.floor(exLo / unit) * unit + unit);
    if (exHi !== undefined) hi = Math.min(hi, Math.ceil(exHi / unit) * unit - unit);
    const first = Math.ceil((Number.isFinite(lo) ? lo : Math.min(0, hi) - 100 * unit) / unit);
    const last = Math.floor((Number.isFinite(hi) ? hi : Math.max(0, lo) + 100 * unit) / unit);
    if (first > last) throw new UnsatisfiableSchema(path, 'no number fits the bounds');
    const k = first + Math.floor(ctx.random() * Math.min(last - first + 1, 1_000_000));
    const value = k * unit;
    return Number.isInteger(unit) ? value : Number(value.toPrecision(12));
  }
  const low = Math.max(lo, exLo ?? -Infinity);
  const high = Math.min(hi, exHi ?? Infinity);
  if (low > high || (low === high && (exLo === low || exHi === high))) throw new UnsatisfiableSchema(path, 'no number fits the bounds');
  const a = Number.isFinite(low) ? low : Math.min(0, high) - 100;
  const b = Number.isFinite(high) ? high : Math.max(0, low) + 100;
  for (let tries = 0; tries < 20; tries++) {
    const value = Math.round((a + ctx.random() * (b - a)) * 100) / 100;
    if (value >= lo && value <= hi && (exLo === undefined || value > exLo) && (exHi === undefined || value < exHi)) return value;
  }
  const mid = (a + b) / 2;
  if (mid > (exLo ?? -Infinity) && mid < (exHi ?? Infinity) && mid >= lo && mid <= hi) return mid;
  throw new UnsatisfiableSchema(path, 'no number fits the bounds');
}

/** A value valid against `schema` (a JSON Schema object or boolean), drawn with `random`. */
export function schemaInstance(schema: unknown, random: Random): unknown {
  if (typeof schema !== 'boolean' && !isObject(schema)) throw new UnsatisfiableSchema('#', 'the schema must be a JSON object');
  return instance({ random, root: schema, values: 0 }, schema, '', 0);
}
