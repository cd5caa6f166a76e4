// One config's worth of serving state (a "generation"): the pipeline, the client registry, and the per-model
// fallback routes as request overrides, built once so the hot path allocates nothing for them. A reload builds a new generation;
// requests in flight keep the one they started with, and a pipeline no generation uses any more is closed once
// its last request ends.
import { keyFingerprint } from '../policy/index.js';
import { ClientRegistry } from './clients.js';
import type { GatewayConfig } from './config.js';
import type { Pipeline, RequestOverrides } from './pipeline.js';

/** What a pipeline is built from: the part of the config that only a new pipeline can apply. */
export interface PipelineSettings {
  baseUrl: string;
  apiKey?: string | undefined;
  keySource: GatewayConfig['upstream']['keySource'];
  policies: GatewayConfig['policies'];
  redis?: string | undefined;
  /** The other upstream keys (`upstream.keys`): never repeated in any form by the pipeline or its journal. */
  secrets?: readonly string[] | undefined;
  maxResponseBytes?: number | undefined;
  maxStreamEventBytes?: number | undefined;
  /** Config `tracing` (undefined: as the OTEL_* variables say); the tracing layers are built with the pipeline. */
  tracing?: GatewayConfig['tracing'];
}

export type PipelineFactory = (settings: PipelineSettings) => Pipeline;

/** A pipeline shared by the generations built from the same settings, with its in-flight count. */
export class PipelineSlot {
  inflight = 0;
  private retired = false;
  private closing: Promise<void> | undefined;

  constructor(
    readonly pipeline: Pipeline,
    /** Identifies the settings (key fingerprint, not the key). */
    readonly settingsKey: string,
    private readonly unwatch: () => void,
    private readonly onClosed: (error: unknown) => void,
  ) {}

  enter(): void {
    this.inflight++;
  }

  leave(): void {
    this.inflight--;
    if (this.retired && this.inflight === 0) void this.close();
  }

  /** No new request will use this pipeline: close it now if idle, else when the last request ends. */
  retire(): Promise<void> | undefined {
    this.retired = true;
    return this.inflight === 0 ? this.close() : undefined;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.unwatch();
      try {
        await this.pipeline.close();
        this.onClosed(undefined);
      } catch (error) {
        this.onClosed(error);
      }
    })();
    return this.closing;
  }

  get isRetired(): boolean {
    return this.retired;
  }
}

export function pipelineSettings(config: GatewayConfig): PipelineSettings {
  const { upstream } = config;
  return {
    baseUrl: upstream.baseUrl,
    apiKey: upstream.apiKey,
    keySource: upstream.keySource,
    policies: config.policies,
    redis: config.redis,
    secrets: upstream.otherKeys,
    maxResponseBytes: upstream.maxResponseBytes,
    maxStreamEventBytes: upstream.maxStreamEventBytes,
    tracing: config.tracing,
  };
}

/** Equal strings ⇔ the same pipeline would be built. Holds a key fingerprint, never the key. */
export function settingsKey(settings: PipelineSettings): string {
  return JSON.stringify([
    settings.baseUrl,
    settings.apiKey === undefined ? null : keyFingerprint(settings.apiKey),
    settings.policies,
    settings.redis ?? null,
    (settings.secrets ?? []).map(keyFingerprint),
    settings.maxResponseBytes ?? null,
    settings.maxStreamEventBytes ?? null,
    settings.tracing ?? null,
  ]);
}

export class Generation {
  readonly clients: ClientRegistry;
  /** Per model, the request overrides carrying its configured fallback route (built once, not per request). */
  private readonly routeOverrides = new Map<string, RequestOverrides>();

  constructor(
    readonly id: number,
    readonly config: GatewayConfig,
    readonly slot: PipelineSlot,
  ) {
    this.clients = new ClientRegistry(config.clients);
    for (const [model, fallbacks] of config.routes) this.routeOverrides.set(model, { fallbacks: [...fallbacks] });
  }

  get pipeline(): Pipeline {
    return this.slot.pipeline;
  }

  /** The Together id for a client-facing model name (an alias), or the name itself. */
  resolveAlias(model: string): string {
    return this.config.aliases.get(model) ?? model;
  }

  /** The overrides for a request naming `model` (a Together id); undefined when there are none. */
  overridesFor(model: string | undefined): RequestOverrides | undefined {
    return model === undefined || this.routeOverrides.size === 0 ? undefined : this.routeOverrides.get(model);
  }
}
