// The gateway's in-flight list: size and values follow adds and removes in any order, and a removed entry keeps
// no link to another (the reason it replaced a Set: a dead entry must not keep other requests alive).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InFlight } from '../../src/gateway/in-flight.js';

test('size and values follow adds and removes of the head, the middle and the tail', () => {
  const list = new InFlight<string>();
  const a = list.add('a');
  const b = list.add('b');
  const c = list.add('c');
  const d = list.add('d');
  assert.equal(list.size, 4);
  assert.deepEqual(list.values(), ['d', 'c', 'b', 'a']);
  list.remove(c); // middle
  assert.deepEqual(list.values(), ['d', 'b', 'a']);
  list.remove(d); // head
  assert.deepEqual(list.values(), ['b', 'a']);
  list.remove(a); // tail
  assert.deepEqual(list.values(), ['b']);
  assert.equal(list.size, 1);
  list.remove(b);
  assert.equal(list.size, 0);
  assert.deepEqual(list.values(), []);
  list.add('e');
  assert.deepEqual(list.values(), ['e']);
});

test('removing an entry twice changes nothing the second time', () => {
  const list = new InFlight<number>();
  const one = list.add(1);
  list.add(2);
  list.remove(one);
  list.remove(one);
  assert.equal(list.size, 1);
  assert.deepEqual(list.values(), [2]);
});

test('a removed entry holds neither its value nor its neighbours', () => {
  const list = new InFlight<object>();
  list.add({});
  const middle = list.add({});
  list.add({});
  list.remove(middle);
  assert.equal(middle.value, undefined);
  assert.equal(middle.prev, undefined);
  assert.equal(middle.next, undefined);
  assert.equal(list.size, 2);
});

test('values() is a copy: removing while going through it is safe', () => {
  const list = new InFlight<number>();
  const entries = [1, 2, 3, 4].map((n) => list.add(n));
  for (const value of list.values()) list.remove(entries[value - 1]!);
  assert.equal(list.size, 0);
});
