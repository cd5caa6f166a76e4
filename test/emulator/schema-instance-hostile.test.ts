// Issue 15, the emulator's json_schema answers under hostile schemas: `minProperties: 1e8` held the event loop 6 s
// (the key count was recomputed per key added) before it was refused, and property names such as "__proto__" must be
// keys like any other, never the instance's prototype.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../src/emulator/prng.js';
import { SCHEMA_LIMITS, UnsatisfiableSchema, schemaInstance } from '../../src/emulator/schema-instance.js';

const random = (): ReturnType<typeof seededRandom> => seededRandom(1, 'hostile');

describe('schemaInstance under hostile schemas', () => {
  test('a minProperties past the value limit is refused at once', () => {
    for (const minProperties of [1e8, SCHEMA_LIMITS.maxValues + 1]) {
      const started = performance.now();
      assert.throws(() => schemaInstance({ type: 'object', minProperties }, random()), (error: unknown) => {
        assert.ok(error instanceof UnsatisfiableSchema);
        assert.match(error.message, /minProperties \d+ is over/);
        return true;
      });
      assert.ok(performance.now() - started < 500, `${(performance.now() - started).toFixed(0)} ms`);
    }
  });

  test('many properties are generated in linear time', () => {
    const started = performance.now();
    const value = schemaInstance({ type: 'object', minProperties: SCHEMA_LIMITS.maxValues / 2, additionalProperties: { type: 'integer' } }, random()) as object;
    assert.equal(Object.keys(value).length, SCHEMA_LIMITS.maxValues / 2);
    assert.ok(performance.now() - started < 1_000, `${(performance.now() - started).toFixed(0)} ms`);
  });

  test('"__proto__", "constructor" and "toString" are plain keys of the instance', () => {
    const schema = JSON.parse(
      '{"type":"object","properties":{"__proto__":{"type":"object","properties":{"polluted":{"const":1}},"required":["polluted"]},"constructor":{"type":"string"}},"required":["__proto__","constructor","toString"]}',
    ) as object;
    const value = schemaInstance(schema, random()) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.keys(value).sort(), ['__proto__', 'constructor', 'toString']);
    assert.deepEqual(JSON.parse(JSON.stringify(value)).__proto__, { polluted: 1 });
    assert.equal(typeof value['constructor'], 'string');
    assert.equal((value as { polluted?: unknown }).polluted, undefined);
  });
});
