// A value loaded from somewhere slow, kept for a TTL and refreshed stale-while-revalidate: callers get the
// cached value at once while one shared load runs; a failed load keeps the old value and is reported.

/** Node's longest timer (2^31 - 1 ms): a longer delay fires after 1 ms, which would make a TTL a refresh loop. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface RefreshingValueOptions<T> {
  load: (signal: AbortSignal) => Promise<T>;
  ttlMs: number;
  now: () => number;
  /** After a failed load, serve what there is (or nothing) for this long before trying again. */
  retryAfterFailureMs: number;
  /** Abort a load that takes longer than this (ms). */
  loadTimeoutMs: number;
  /** Refresh every ttlMs on a timer (unref'd) instead of only when a caller finds the value stale. */
  refreshInBackground: boolean;
  onError?: ((error: unknown) => void) | undefined;
  onLoad?: ((value: T) => void) | undefined;
}

export interface RefreshingValueStatus {
  /** When the current value was loaded (per `now`), or undefined before the first success. */
  loadedAt: number | undefined;
  /** The last load failure, cleared by the next success. */
  lastError: unknown;
  lastErrorAt: number | undefined;
  loading: boolean;
}

export interface RefreshingValue<T> {
  /**
   * The value: fresh from the cache; stale from the cache while a background refresh starts; or awaited
   * from a load when there is none yet. undefined when there is none and loading failed (see status()).
   */
  get(signal?: AbortSignal): Promise<T | undefined>;
  /** The value in hand, if there is one (starting a refresh when it is stale): `get` without waiting. */
  current(): T | undefined;
  /** Load now (joining a load already running); rejects when the load fails. */
  refresh(signal?: AbortSignal): Promise<T>;
  /** The cached value without loading anything. */
  peek(): T | undefined;
  status(): RefreshingValueStatus;
  /** Stop the timer and abort a running load. */
  close(): void;
}

/** Wait for `promise`, or reject with the signal's reason when it aborts first (the promise keeps running). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as unknown);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as unknown);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

export function createRefreshingValue<T>(options: RefreshingValueOptions<T>): RefreshingValue<T> {
  let value: T | undefined;
  let loadedAt: number | undefined;
  let lastError: unknown;
  let lastErrorAt: number | undefined;
  let inFlight: Promise<T> | undefined;
  let closed = false;
  const lifetime = new AbortController();

  function startLoad(): Promise<T> {
    if (inFlight !== undefined) return inFlight;
    // One controller per load: aborted by close() or by the load timeout, whose timer is always cleared.
    const controller = new AbortController();
    const onClose = (): void => controller.abort(lifetime.signal.reason);
    lifetime.signal.addEventListener('abort', onClose, { once: true });
    const timeout = setTimeout(() => {
      const error = new Error(`Loading took longer than ${options.loadTimeoutMs} ms`);
      error.name = 'TimeoutError';
      controller.abort(error);
    }, Math.min(options.loadTimeoutMs, MAX_TIMER_MS));
    timeout.unref();
    const attempt = (async () => {
      // Yield once, so `inFlight` is assigned before a load() that throws synchronously reaches `finally`.
      await Promise.resolve();
      try {
        const loaded = await options.load(controller.signal);
        value = loaded;
        loadedAt = options.now();
        lastError = undefined;
        lastErrorAt = undefined;
        options.onLoad?.(loaded);
        return loaded;
      } catch (error) {
        lastError = error;
        lastErrorAt = options.now();
        if (!closed) options.onError?.(error);
        throw error;
      } finally {
        clearTimeout(timeout);
        lifetime.signal.removeEventListener('abort', onClose);
        inFlight = undefined;
      }
    })();
    inFlight = attempt;
    return attempt;
  }

  const isFresh = (): boolean => loadedAt !== undefined && options.now() - loadedAt < options.ttlMs;
  const inFailureBackoff = (): boolean => lastErrorAt !== undefined && options.now() - lastErrorAt < options.retryAfterFailureMs;

  /** Start a refresh nobody waits for; its failure is already reported through onError. */
  function refreshQuietly(): void {
    if (closed || inFlight !== undefined) return;
    startLoad().catch(() => undefined);
  }

  let timer: ReturnType<typeof setInterval> | undefined;
  if (options.refreshInBackground) {
    timer = setInterval(refreshQuietly, Math.min(Math.max(1, options.ttlMs), MAX_TIMER_MS));
    timer.unref();
  }

  return {
    async get(signal) {
      if (closed) return value;
      if (value !== undefined) {
        if (!isFresh() && !inFailureBackoff()) refreshQuietly();
        return value;
      }
      if (inFlight === undefined && inFailureBackoff()) return undefined;
      try {
        return await abortable(startLoad(), signal);
      } catch (error) {
        if (signal?.aborted) throw error;
        return undefined;
      }
    },
    current() {
      if (value !== undefined && !closed && !isFresh() && !inFailureBackoff()) refreshQuietly();
      return value;
    },
    refresh(signal) {
      if (closed) return Promise.reject(new Error('The catalog is closed'));
      return abortable(startLoad(), signal);
    },
    peek: () => value,
    status: () => ({ loadedAt, lastError, lastErrorAt, loading: inFlight !== undefined }),
    close() {
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      lifetime.abort(new Error('The catalog was closed'));
    },
  };
}
