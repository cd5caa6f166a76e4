// Makes a scratch copy of tether without the request-path limits of issue 15, to measure what they cost:
//   git worktree add /tmp/nolimits HEAD && ln -s $PWD/node_modules /tmp/nolimits/
//   node bench/limits-off.mjs /tmp/nolimits
//   node --import tsx bench/gateway-ab.ts --a . --b /tmp/nolimits   (or bench/gateway.ts --compiled --baseline-tree /tmp/nolimits)
// `aOverB.throughput` is then this tree's throughput over the same code without the limits: 1 − it is
// their cost. Taken out (each edit fails loudly when its target moved): the body's nesting-depth and model-id checks
// (gateway and pipeline), the gateway's default deadline, the scrubbing of every answer's body and headers for
// keys, and overload shedding. Never commit the edited tree: it is the baseline, not a product.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const tree = process.argv[2];
if (!tree) throw new Error('usage: node bench/limits-off.mjs TREE (a scratch worktree, edited in place)');

const EDITS = [
  ['src/gateway/body.ts', '  if (jsonTextTooDeep(raw, MAX_BODY_DEPTH)) return { ok: false, reply: bodyTooDeep(MAX_BODY_DEPTH) };\n', ''],
  ['src/gateway/body.ts', '  if (typeof model === \'string\' && model.length > MAX_MODEL_ID_LENGTH) return { ok: false, reply: modelIdTooLong(model.length, MAX_MODEL_ID_LENGTH) };\n', '  void model;\n'],
  ['src/pipeline/check-body.ts', 'function checkBounds(endpoint: Endpoint, body: unknown): TogetherError | undefined {\n', 'function checkBounds(endpoint: Endpoint, body: unknown): TogetherError | undefined {\n  if (endpoint !== undefined) return undefined;\n'],
  ['src/gateway/default-pipeline.ts', '  options.deadlineMs = timeouts?.deadlineMs ?? DEFAULT_TIMEOUTS.deadlineMs;\n', '  if (timeouts?.deadlineMs !== undefined) options.deadlineMs = timeouts.deadlineMs;\n  void DEFAULT_TIMEOUTS;\n'],
  ['src/pipeline/attempt.ts', '  const text = scrubber.exact(raw);\n  const headers = scrubHeaders(received, scrubber);\n', '  const text = raw;\n  const headers = received;\n  void scrubber;\n'],
  ['src/gateway/server.ts', '  let monitor = config.overload === false ? undefined : new OverloadMonitor(config.overload);\n', '  let monitor: OverloadMonitor | undefined;\n'],
];

for (const [file, from, to] of EDITS) {
  const path = join(tree, file);
  const text = readFileSync(path, 'utf8');
  if (!text.includes(from)) throw new Error(`${file}: the line to take out was not found (it moved): ${from.trim()}`);
  writeFileSync(path, text.replace(from, to));
  console.log(`${file}: taken out`);
}
