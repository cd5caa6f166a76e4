// What `tether gateway` runs in production: the real pipeline, with every classified failure written to the
// local error journal and the pacing/breaker state saved every few seconds, both for `tether debug-bundle`.
import { attachErrorJournal, defaultStatePath, writeStateFile } from '../diagnostics/index.js';
import { createDefaultPipeline } from './default-pipeline.js';
import type { PipelineSettings } from './generation.js';
import type { Pipeline } from './pipeline.js';

const STATE_EVERY_MS = 5_000;

export function createJournaledPipeline(settings: PipelineSettings, env: NodeJS.ProcessEnv = process.env): Pipeline {
  const pipeline = createDefaultPipeline(settings);
  // Every upstream key, the per-client ones of `upstream.keys` included, in every form.
  const secrets = [...(settings.apiKey ? [settings.apiKey] : []), ...(settings.secrets ?? [])];
  const journal = attachErrorJournal(pipeline.events, { secrets, env });
  const saveState = (): void => {
    try {
      writeStateFile(pipeline.state(), defaultStatePath(env));
    } catch {
      // Diagnostics must never disturb serving: a read-only home just means no state in the bundle.
    }
  };
  const timer = setInterval(saveState, STATE_EVERY_MS);
  timer.unref();
  return {
    send: (request) => pipeline.send(request),
    listModels: (signal) => pipeline.listModels(signal),
    events: pipeline.events,
    state: () => pipeline.state(),
    resetKey: (apiKey) => pipeline.resetKey(apiKey),
    async close() {
      clearInterval(timer);
      saveState();
      journal.detach();
      await pipeline.close();
    },
  };
}
