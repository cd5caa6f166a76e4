// Property test for the emulator's JSON Schema instance generator (issue 18): for random schemas of the kinds
// structured-output clients send, the generated value validates with ajv; the same seed gives the same value.
// Every schema that ever failed stays in test/fixtures/fuzz/schema-instance-corpus.json and is replayed alone.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';
import { schemaInstance, UnsatisfiableSchema } from '../../src/emulator/schema-instance.js';
import { seededRandom } from '../../src/emulator/prng.js';

const SEED = 20261207;
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));

function assertValidInstance(schema: object, seed: number): void {
  const value = schemaInstance(schema, seededRandom(seed, 'fuzz'));
  const validate = ajv.compile(schema);
  assert.ok(validate(value), `instance ${JSON.stringify(value)} of ${JSON.stringify(schema)}: ${ajv.errorsText(validate.errors)}`);
  assert.deepEqual(schemaInstance(schema, seededRandom(seed, 'fuzz')), value, 'same seed, same value');
}

const corpus = JSON.parse(readFileSync(new URL('../fixtures/fuzz/schema-instance-corpus.json', import.meta.url), 'utf8')) as { note: string; schema: object }[];

describe('schema instance corpus', () => {
  for (const entry of corpus) {
    test(entry.note, () => {
      for (let seed = 0; seed < 20; seed++) assertValidInstance(entry.schema, seed);
    });
  }
});

/** Leaf schemas: each type with its bounds, enum and const. */
const leaf: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ type: fc.constant('string'), minLength: fc.integer({ min: 0, max: 5 }), maxLength: fc.integer({ min: 5, max: 20 }) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('string'), format: fc.constantFrom('date-time', 'date', 'time', 'email', 'uuid', 'uri', 'ipv4', 'hostname') }),
  fc.record(
    { type: fc.constant('integer'), minimum: fc.integer({ min: -50, max: 0 }), maximum: fc.integer({ min: 1, max: 50 }), multipleOf: fc.constantFrom(1, 2, 5) },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    { type: fc.constant('number'), minimum: fc.double({ min: -10, max: 0, noNaN: true }), exclusiveMaximum: fc.double({ min: 0.5, max: 10, noNaN: true }) },
    { requiredKeys: ['type'] },
  ),
  fc.constant({ type: 'boolean' }),
  fc.constant({ type: 'null' }),
  fc.record({ enum: fc.uniqueArray(fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean()), { minLength: 1, maxLength: 4 }) }),
  fc.record({ const: fc.oneof(fc.string({ maxLength: 6 }), fc.integer()) }),
  fc.record({ type: fc.constant(['string', 'null']) }),
);

const { schema: schemaArb } = fc.letrec<{ schema: Record<string, unknown> }>((tie) => ({
  schema: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc
      .dictionary(fc.stringMatching(/^[a-z]{1,6}$/), tie('schema'), { maxKeys: 4 })
      .chain((properties) =>
        fc.record({
          type: fc.constant('object'),
          properties: fc.constant(properties),
          required: fc.subarray(Object.keys(properties)),
          additionalProperties: fc.boolean(),
        }),
      ),
    fc.record(
      { type: fc.constant('array'), items: tie('schema'), minItems: fc.integer({ min: 0, max: 2 }), maxItems: fc.integer({ min: 2, max: 4 }) },
      { requiredKeys: ['type', 'items'] },
    ),
    fc.record({ anyOf: fc.array(tie('schema'), { minLength: 1, maxLength: 3 }) }),
    // oneOf branches of distinct types, as clients write them (a value matching two branches breaks oneOf).
    fc.constant({ oneOf: [{ type: 'string' }, { type: 'integer' }, { type: 'null' }] }),
  ),
}));

/** A schema that keeps a sub-schema in $defs and refers to it, as zod-to-json-schema and pydantic do. */
const withDefs = fc.tuple(schemaArb, schemaArb).map(([inner, outer]) => ({
  $defs: { item: inner },
  type: 'object',
  properties: { item: { $ref: '#/$defs/item' }, list: { type: 'array', items: { $ref: '#/$defs/item' } }, other: outer },
  required: ['item', 'list'],
  additionalProperties: false,
}));

describe('schema instance properties', () => {
  test('a generated instance validates against its schema (random schemas, ajv)', () => {
    fc.assert(
      fc.property(fc.oneof(schemaArb, withDefs), fc.integer({ min: 0, max: 1_000_000 }), (schema, seed) => {
        try {
          assertValidInstance(schema, seed);
        } catch (error) {
          // Random bounds can be contradictory (minLength > maxLength); refusing them is correct, lying is not.
          if (error instanceof UnsatisfiableSchema) return;
          throw error;
        }
      }),
      { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 6_000 },
    );
  });

  test('an unsatisfiable schema is refused with where and why, not answered', () => {
    assert.throws(() => schemaInstance({ type: 'object', properties: { a: false }, required: ['a'] }, seededRandom(1)), /#?\/a: the schema is `false`/);
    assert.throws(() => schemaInstance({ type: 'integer', minimum: 5, maximum: 4 }, seededRandom(1)), /no number fits/);
    assert.throws(() => schemaInstance({ $ref: 'https://example.com/s.json' }, seededRandom(1)), /only local \$ref/);
    assert.throws(() => schemaInstance({ type: 'array', items: { type: 'string' }, minItems: 1e9 }, seededRandom(1)), /minItems/);
  });
});
