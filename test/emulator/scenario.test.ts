// Scenarios: capacity, faults and latency scripted over time, played on a fake clock (no test waits for the
// scenario's seconds), driven by startEmulator's option, the admin endpoint, and validated with clear errors.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEmulatorConfigFile, loadScenarioFile, parseScenario, parseScenarioDuration, ScenarioError, startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { call } from './helpers.js';

const KEY = 'tk-scenario';
const X = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';
const Y = 'Qwen/Qwen2.5-7B-Instruct-Turbo';
const Z = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const running: RunningEmulator[] = [];
after(async () => {
  await Promise.all(running.map((emu) => emu.close()));
});

function fakeClock(): { now: () => number; set: (ms: number) => void } {
  const start = 5_000_000;
  let time = start;
  return { now: () => time, set: (ms) => (time = start + ms) };
}

async function emulator(options: Parameters<typeof startEmulator>[0]): Promise<RunningEmulator> {
  const emu = await startEmulator({ port: 0, seed: 9, keys: [{ key: KEY, requestsPerSecond: 10_000, tokensPerMinute: 100_000_000, creditsUsd: 1000 }], ...options });
  running.push(emu);
  return emu;
}

function chat(emu: RunningEmulator, model: string): ReturnType<typeof call> {
  return call(emu, '/v1/chat/completions', { key: KEY, body: { model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 } });
}

async function statuses(emu: RunningEmulator, model: string, count: number): Promise<number[]> {
  return (await Promise.all(Array.from({ length: count }, () => chat(emu, model)))).map((r) => r.status).sort();
}

const INCIDENT = {
  name: 'incident',
  duration: '60s',
  events: [
    { at: '10s', for: '20s', capacity: { model: X, factor: 0.5 } },
    { at: '30s', for: '10s', fault: { kind: 'status', status: 503, model: Y } },
    { at: '40s', for: '10s', name: 'slow Z', fault: `latency=200,model=${Z}` },
  ],
};

test('an incident timeline: capacity halves, a model answers 503 to everything, latency, then the scenario ends', async () => {
  const clock = fakeClock();
  const emu = await emulator({ clock: clock.now, capacity: [{ model: X, requestsPerSecond: 4 }], scenario: INCIDENT });

  clock.set(1000);
  assert.deepEqual(await statuses(emu, X, 5), [200, 200, 200, 200, 503], 'full capacity: 4 a second');
  assert.equal(emu.stats().scenario.active.length, 0);

  clock.set(15_000);
  assert.deepEqual(await statuses(emu, X, 3), [200, 200, 503], 'halved: 2 a second');
  assert.deepEqual(
    emu.stats().scenario.active.map((e) => e.name),
    [`capacity of ${X} ×0.5`],
  );
  assert.equal((await chat(emu, Y)).status, 200, 'Y is fine before its outage');

  clock.set(31_000);
  assert.deepEqual(await statuses(emu, X, 5), [200, 200, 200, 200, 503], 'capacity back after 20 s');
  const down = await chat(emu, Y);
  assert.equal(down.status, 503);
  assert.equal(down.json.error.type, 'server_error');
  clock.set(39_999);
  assert.equal((await chat(emu, Y)).status, 503);

  clock.set(40_000);
  assert.equal((await chat(emu, Y)).status, 200, 'the outage lasted 10 s');
  const started = performance.now();
  assert.equal((await chat(emu, Z)).status, 200);
  assert.ok(performance.now() - started >= 190, 'Z answers 200 ms late while the latency event lasts');
  assert.deepEqual(emu.stats().scenario.active.map((e) => e.name), ['slow Z']);

  clock.set(60_000);
  const state = emu.scenarioState();
  assert.equal(state.running, false, 'a 60 s scenario has ended');
  assert.equal(state.elapsedMs, 60_000);
  assert.deepEqual(state.injected, { status: 2, latency: 1 });
  assert.equal(emu.stats().faults.status, undefined, 'scenario faults are counted under scenario.injected, not the configured faults');
});

test('a looping scenario starts over; stopScenario ends it', async () => {
  const clock = fakeClock();
  const emu = await emulator({
    clock: clock.now,
    scenario: { duration: '10s', loop: true, events: [{ at: 0, for: 5000, fault: { kind: 'status', status: 503, model: Y } }] },
  });
  assert.equal((await chat(emu, Y)).status, 503);
  clock.set(7000);
  assert.equal((await chat(emu, Y)).status, 200);
  clock.set(12_000);
  assert.equal((await chat(emu, Y)).status, 503, 'second time round');
  assert.equal(emu.scenarioState().loops, 1);
  emu.stopScenario();
  assert.equal((await chat(emu, Y)).status, 200);
  assert.equal(emu.scenarioState().running, false);
});

test('the admin endpoint starts, reports and stops a scenario; stats carry its state', async () => {
  const clock = fakeClock();
  const emu = await emulator({ clock: clock.now });
  const bad = await call(emu, '/_emulator/scenario', { method: 'POST', body: { scenario: { events: [{ at: '5 parsecs', fault: 'status=503' }] } } });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /events\[0\]\.at/);
  assert.match(bad.json.error.message, /duration such as 500ms, 10s/);
  const wrongShape = await call(emu, '/_emulator/scenario', { method: 'POST', body: { events: [] } });
  assert.equal(wrongShape.status, 400);
  assert.match(wrongShape.json.error.message, /\{"scenario": \{"events"/);

  const started = await call(emu, '/_emulator/scenario', { method: 'POST', body: { scenario: { name: 'outage', events: [{ at: '2s', fault: `status=503,model=${Y}` }] } } });
  assert.equal(started.status, 200);
  assert.equal(started.json.running, true);
  assert.equal(started.json.name, 'outage');
  assert.equal((await chat(emu, Y)).status, 200, 'times count from the start: nothing yet');
  clock.set(2500);
  assert.equal((await chat(emu, Y)).status, 503);
  const state = await call(emu, '/_emulator/scenario');
  assert.equal(state.json.elapsedMs, 2500);
  assert.equal(state.json.active.length, 1);
  assert.equal((await call(emu, '/_emulator/stats')).json.scenario.name, 'outage');

  const stopped = await call(emu, '/_emulator/scenario', { method: 'POST', body: { stop: true } });
  assert.equal(stopped.json.running, false);
  assert.equal((await chat(emu, Y)).status, 200);
});

test('durations: ms numbers and 500ms / 10s / 1.5m / 2h strings', () => {
  assert.equal(parseScenarioDuration('500ms'), 500);
  assert.equal(parseScenarioDuration('10s'), 10_000);
  assert.equal(parseScenarioDuration('1.5m'), 90_000);
  assert.equal(parseScenarioDuration('2h'), 7_200_000);
  assert.equal(parseScenarioDuration('250'), 250);
  assert.equal(parseScenarioDuration('10 parsecs'), undefined);
  assert.equal(parseScenarioDuration('-1s'), undefined);
});

test('invalid scenarios are refused with the field and what it must be', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{}, /`events`/],
    [{ events: [] }, /`events`: Too small.*>=1/],
    [{ events: [{ at: 0, fault: { kind: 'status', status: 99 } }] }, /`events\[0\]\.fault`: the fault is invalid: `status`/],
    [{ events: [{ fault: 'status=503' }] }, /`events\[0\]\.at`: must be a duration/],
    [{ events: [{ at: 1.5, fault: 'status=503' }] }, /`events\[0\]\.at`: must be a duration/],
    [{ events: [{ at: '1s' }] }, /`events\[0\]`: each event needs exactly one of `capacity` or `fault`/],
    [{ events: [{ at: '1s', fault: 'status=503', capacity: { model: X, factor: 0.5 } }] }, /exactly one/],
    [{ events: [{ at: '25h', fault: 'status=503' }] }, /`events\[0\]\.at`: must be a duration .*at most 24h/],
    [{ events: [{ at: '1s', capacity: { model: X } }] }, /`events\[0\]\.capacity`: give `factor`/],
    [{ events: [{ at: '1s', fault: 'status=abc' }] }, /`events\[0\]\.fault`/],
    [{ events: [{ at: '1s', fault: 'credits=3' }] }, /credits fault fires once/],
    [{ loop: true, events: [{ at: 0, fault: 'status=503' }] }, /`loop`: a looping scenario needs a `duration`/],
    [{ events: [{ at: 0, fault: 'status=503', when: 'now' }] }, /unknown field `when`/],
    [{ events: Array.from({ length: 1001 }, () => ({ at: 0, fault: 'status=503' })) }, /`events`.*1000/],
  ];
  for (const [input, expected] of cases) {
    assert.throws(
      () => parseScenario(input),
      (error: unknown) => error instanceof ScenarioError && expected.test(error.message),
      `${JSON.stringify(input).slice(0, 120)} should fail with ${expected}`,
    );
  }
});

test('a scenario file\'s errors name the field and its line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tether-scenario-'));
  const yaml = join(dir, 'bad.yaml');
  writeFileSync(yaml, ['name: bad', 'events:', '  - at: 1s', '    fault: status=503', '  - at: soon', '    fault: status=500', ''].join('\n'));
  assert.throws(() => loadScenarioFile(yaml), (error: unknown) => error instanceof ScenarioError && /`events\[1\]\.at` .*\(line 5\)|`events\[1\]\.at`: .*\(line 5\)/.test(error.message));
  const json = join(dir, 'bad.json');
  writeFileSync(json, '{\n  "events": [\n    {"at": 0,\n     "capacity": {"model": "m"}}\n  ]\n}\n');
  assert.throws(() => loadScenarioFile(json), (error: unknown) => error instanceof ScenarioError && /events\[0\]\.capacity.*\(line 4\)/.test(error.message));
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, 'events: [\n');
  assert.throws(() => loadScenarioFile(broken), (error: unknown) => error instanceof ScenarioError && /line \d+/.test(error.message) && /--scenario|scenario file/.test(error.message));
  assert.throws(() => loadScenarioFile(join(dir, 'missing.yaml')), (error: unknown) => error instanceof ScenarioError && /ENOENT/.test(error.message));
});

test('an event naming a model the emulator does not list is refused at start, naming it', async () => {
  await assert.rejects(
    startEmulator({ port: 0, scenario: { events: [{ at: 0, fault: 'status=503,model=acme/typo-7b' }] } }),
    (error: unknown) => error instanceof ScenarioError && /event 0 .*acme\/typo-7b.*GET \/v1\/models/.test(error.message),
  );
});

test('scaling the capacity of a model with none configured is refused at start, naming the event', async () => {
  await assert.rejects(
    startEmulator({ port: 0, scenario: { events: [{ at: 0, capacity: { model: X, factor: 0.5 } }] } }),
    (error: unknown) => error instanceof ScenarioError && /event 0 .*has none configured/.test(error.message),
  );
});

test('the example files in examples/scenarios validate, and play the issue\'s incident', () => {
  const scenario = loadScenarioFile('examples/scenarios/incident.yaml');
  assert.deepEqual(
    scenario.events.map((e) => [e.atMs, e.forMs, e.capacity ? 'capacity' : e.fault?.kind]),
    [
      [10_000, 20_000, 'capacity'],
      [30_000, 10_000, 'status'],
      [40_000, 10_000, 'latency'],
    ],
  );
  const config = loadEmulatorConfigFile('examples/scenarios/emulator.yaml');
  assert.ok(config.capacity?.some((c) => c.model === X));
});
