import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SamplingBreaker } from 'cockatiel';
import { TogetherError, type ErrorCategory } from '../../src/errors/index.js';
import { BreakerRegistry, PolicyEvents, type PolicyEvent } from '../../src/policy/index.js';
import { FakeClock } from './fake-clock.js';

const PRIMARY = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';

function failure(category: ErrorCategory): TogetherError {
  return new TogetherError({ category, message: category, cause: 'c', fix: 'f', retryable: category !== 'auth' });
}

function setup(options: { threshold?: number; coolDownMs?: number; probeTimeoutMs?: number } = {}) {
  const clock = new FakeClock();
  const events = new PolicyEvents({ now: () => clock.now() });
  const changes: string[] = [];
  events.on('breaker', (event: PolicyEvent<'breaker'>) => changes.push(`${event.model}:${event.from}->${event.to}`));
  const breakers = new BreakerRegistry({ threshold: 3, coolDownMs: 10_000, ...options, events, clock });
  return { clock, breakers, changes };
}

function fail(breakers: BreakerRegistry, model: string, category: ErrorCategory, times = 1): void {
  for (let i = 0; i < times; i++) breakers.acquire(model)?.failure(failure(category));
}

describe('BreakerRegistry', () => {
  test('repeated overload opens a model; it cools down; one probe; success closes it', async () => {
    const { clock, breakers, changes } = setup();
    fail(breakers, PRIMARY, 'server', 2);
    assert.equal(breakers.isOpen(PRIMARY), false, 'below the threshold');
    fail(breakers, PRIMARY, 'server');
    assert.equal(breakers.isOpen(PRIMARY), true);
    assert.equal(breakers.state(PRIMARY), 'open');
    assert.equal(breakers.acquire(PRIMARY), undefined, 'refused while cooling down');
    assert.equal(breakers.isOpen('another/model'), false, 'per model');

    await clock.advance(9_999);
    assert.equal(breakers.isOpen(PRIMARY), true);
    await clock.advance(1);
    assert.equal(breakers.isOpen(PRIMARY), false, 'cooled down: the next request is the probe');
    const probe = breakers.acquire(PRIMARY);
    assert.ok(probe?.probe);
    assert.equal(breakers.isOpen(PRIMARY), true, 'only one probe at a time');
    assert.equal(breakers.acquire(PRIMARY), undefined);
    probe.success();
    assert.equal(breakers.state(PRIMARY), 'closed');
    assert.equal(breakers.acquire(PRIMARY)?.probe, false);
    assert.deepEqual(changes, [`${PRIMARY}:closed->open`, `${PRIMARY}:open->half_open`, `${PRIMARY}:half_open->closed`]);
  });

  test('a failed probe re-opens the circuit for another cool-down', async () => {
    const { clock, breakers, changes } = setup();
    fail(breakers, PRIMARY, 'timeout', 3);
    await clock.advance(10_000);
    breakers.acquire(PRIMARY)!.failure(failure('server'));
    assert.equal(breakers.state(PRIMARY), 'open');
    assert.equal(breakers.isOpen(PRIMARY), true);
    await clock.advance(10_000);
    assert.equal(breakers.isOpen(PRIMARY), false);
    assert.deepEqual(changes.slice(-2), [`${PRIMARY}:open->half_open`, `${PRIMARY}:half_open->open`]);
  });

  test('4xx, 429 and network errors never open a circuit, and a success resets the count', () => {
    const { breakers } = setup();
    for (const category of ['auth', 'billing', 'validation', 'context_length', 'not_found', 'rate_limit', 'network'] as const) {
      fail(breakers, PRIMARY, category, 10);
    }
    assert.equal(breakers.state(PRIMARY), 'closed');
    fail(breakers, PRIMARY, 'server', 2);
    breakers.acquire(PRIMARY)!.success();
    fail(breakers, PRIMARY, 'server', 2);
    assert.equal(breakers.state(PRIMARY), 'closed', 'not 3 in a row');
  });

  test('a probe released without a verdict hands the probe to the next request; a lost probe times out', async () => {
    const { clock, breakers } = setup({ probeTimeoutMs: 5_000 });
    fail(breakers, PRIMARY, 'server', 3);
    await clock.advance(10_000);
    const probe = breakers.acquire(PRIMARY)!;
    probe.failure(failure('auth')); // no verdict on the model
    assert.equal(breakers.state(PRIMARY), 'half_open');
    const second = breakers.acquire(PRIMARY);
    assert.ok(second?.probe, 'the next request probes');
    await clock.advance(4_999);
    assert.equal(breakers.acquire(PRIMARY), undefined);
    await clock.advance(1);
    assert.ok(breakers.acquire(PRIMARY)?.probe, 'the lost probe was written off');
  });

  test('tickets settle once, and tickets from before a state change do not move it', async () => {
    const { breakers } = setup();
    const stale = [breakers.acquire(PRIMARY)!, breakers.acquire(PRIMARY)!];
    fail(breakers, PRIMARY, 'server', 3);
    assert.equal(breakers.state(PRIMARY), 'open');
    for (const ticket of stale) ticket.success();
    assert.equal(breakers.state(PRIMARY), 'open', 'late successes from before the opening are ignored');
    const { breakers: b2 } = setup({ threshold: 1 });
    const ticket = b2.acquire(PRIMARY)!;
    ticket.success();
    ticket.failure(failure('server'));
    assert.equal(b2.state(PRIMARY), 'closed');
  });

  test("cockatiel's SamplingBreaker can replace the consecutive count", () => {
    const clock = new FakeClock();
    const breakers = new BreakerRegistry({
      clock,
      createBreaker: () => new SamplingBreaker({ threshold: 0.5, duration: 10_000, minimumRps: 0.1 }),
    });
    for (let i = 0; i < 4; i++) breakers.acquire(PRIMARY)!.success();
    fail(breakers, PRIMARY, 'server', 6);
    assert.equal(breakers.state(PRIMARY), 'open');
  });

  test('reset() closes by hand; snapshot() is plain data; bad input is refused', () => {
    const { breakers, changes } = setup();
    fail(breakers, PRIMARY, 'server', 3);
    assert.equal(breakers.snapshot()[PRIMARY]?.state, 'open');
    assert.doesNotThrow(() => JSON.stringify(breakers.snapshot()));
    breakers.reset();
    assert.equal(breakers.state(PRIMARY), 'closed');
    assert.equal(changes.at(-1), `${PRIMARY}:open->closed`);
    assert.throws(() => breakers.acquire(''), /needs a model id/);
    assert.throws(() => new BreakerRegistry({ threshold: 0 }), /breaker.threshold must be a positive integer/);
  });
});

describe('BreakerRegistry transitions shared with peers', () => {
  function watch(breakers: BreakerRegistry): string[] {
    const shared: string[] = [];
    breakers.onTransition((model, { state, at }) => shared.push(`${model}:${state}@${at}`));
    return shared;
  }

  test('onTransition reports its own opens and closes (probe, reset), not half-open nor applied ones', async () => {
    const { clock, breakers } = setup();
    const shared = watch(breakers);
    const openedAt = clock.now();
    fail(breakers, PRIMARY, 'server', 3);
    await clock.advance(10_000);
    breakers.acquire(PRIMARY)!.success();
    fail(breakers, PRIMARY, 'server', 3);
    breakers.reset(PRIMARY);
    breakers.apply('peer/model', { state: 'open', at: clock.now() });
    assert.deepEqual(shared, [
      `${PRIMARY}:open@${openedAt}`,
      `${PRIMARY}:closed@${openedAt + 10_000}`,
      `${PRIMARY}:open@${openedAt + 10_000}`,
      `${PRIMARY}:closed@${openedAt + 10_000}`,
    ]);
  });

  test("a peer's open refuses the model until its cool-down ends, then this instance probes it", async () => {
    const { clock, breakers, changes } = setup();
    const sources: (string | undefined)[] = [];
    const events = new PolicyEvents();
    events.on('breaker', (e) => sources.push(e.source));
    const withEvents = new BreakerRegistry({ coolDownMs: 10_000, clock, events });
    withEvents.apply(PRIMARY, { state: 'open', at: clock.now() - 4_000 });
    assert.deepEqual(sources, ['peer']);

    assert.equal(breakers.apply(PRIMARY, { state: 'open', at: clock.now() - 4_000 }), true);
    assert.equal(breakers.isOpen(PRIMARY), true);
    assert.equal(breakers.acquire(PRIMARY), undefined);
    assert.deepEqual(changes, [`${PRIMARY}:closed->open`]);
    await clock.advance(5_999);
    assert.equal(breakers.isOpen(PRIMARY), true, 'the cool-down counts from the peer\'s openedAt');
    await clock.advance(1);
    assert.equal(breakers.isOpen(PRIMARY), false);
    assert.ok(breakers.acquire(PRIMARY)?.probe, 'this instance probes it itself');
  });

  test("a peer's close closes it here; transitions older than the circuit's last change are ignored", async () => {
    const { clock, breakers, changes } = setup();
    const shared = watch(breakers);
    assert.equal(breakers.apply(PRIMARY, { state: 'closed', at: clock.now() }), false, 'nothing to close');
    fail(breakers, PRIMARY, 'server', 3);
    const openedAt = clock.now();
    await clock.advance(1_000);
    assert.equal(breakers.apply(PRIMARY, { state: 'closed', at: openedAt - 1 }), false, 'older than the opening');
    assert.equal(breakers.apply(PRIMARY, { state: 'open', at: openedAt }), false, 'the same opening');
    assert.equal(breakers.apply(PRIMARY, { state: 'open', at: openedAt + 500 }), true, 'a later opening extends the cool-down');
    assert.equal(breakers.snapshot()[PRIMARY]?.openedAt, openedAt + 500);
    assert.equal(breakers.apply(PRIMARY, { state: 'closed', at: clock.now() }), true);
    assert.equal(breakers.state(PRIMARY), 'closed');
    assert.equal(breakers.isOpen(PRIMARY), false);
    assert.equal(breakers.apply(PRIMARY, { state: 'open', at: openedAt + 600 }), false, 'a late message from before the close');
    assert.deepEqual(changes, [`${PRIMARY}:closed->open`, `${PRIMARY}:open->closed`]);
    assert.equal(shared.length, 1, 'only its own opening was reported');
    assert.equal(breakers.apply(PRIMARY, { state: 'half_open' as 'open', at: clock.now() }), false, 'not a shared state');
  });

  test('a peer opening the circuit during a probe here voids that probe; a throwing hook never fails a request', () => {
    const { clock, breakers } = setup({ threshold: 1 });
    breakers.onTransition(() => {
      throw new Error('hook broke');
    });
    assert.doesNotThrow(() => fail(breakers, PRIMARY, 'server'));
    assert.equal(breakers.state(PRIMARY), 'open');
    const fresh = setup({ threshold: 1 }).breakers;
    const ticket = fresh.acquire(PRIMARY)!;
    fresh.apply(PRIMARY, { state: 'open', at: clock.now() });
    ticket.success();
    assert.equal(fresh.state(PRIMARY), 'open', 'a ticket from before the peer\'s opening does not close it');
  });
});
