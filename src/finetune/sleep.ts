// An abortable wait that rejects with the signal's own reason, as the transport does on abort.
import { setTimeout as delay } from 'node:timers/promises';
import { clampTimerMs } from '../policy/index.js';

export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw signal.reason;
  try {
    await delay(clampTimerMs(ms), undefined, signal ? { signal } : {});
  } catch (error) {
    throw signal?.aborted ? signal.reason : error;
  }
}
