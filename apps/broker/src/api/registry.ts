// The registered handlers by API key, and the ApiVersions table derived from them.
import type { ApiHandler } from './handler';

export interface ApiVersionRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

export class ApiRegistry {
  private readonly byKey = new Map<number, ApiHandler>();
  private readonly table: ApiVersionRange[];

  constructor(handlers: readonly ApiHandler[]) {
    for (const h of handlers) {
      if (this.byKey.has(h.apiKey)) throw new Error(`two handlers registered for API key ${h.apiKey}`);
      if (h.minVersion > h.maxVersion) throw new Error(`handler for API key ${h.apiKey} has an empty version range`);
      this.byKey.set(h.apiKey, h);
    }
    this.table = [...this.byKey.values()]
      .sort((a, b) => a.apiKey - b.apiKey)
      .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));
  }

  /** The handler serving `apiKey` at `version`, or undefined when the key or the version isn't served. */
  handler(apiKey: number, version: number): ApiHandler | undefined {
    const h = this.byKey.get(apiKey);
    return h && version >= h.minVersion && version <= h.maxVersion ? h : undefined;
  }

  has(apiKey: number): boolean {
    return this.byKey.has(apiKey);
  }

  /** What ApiVersions advertises: every registered key with its range, sorted by key. */
  versions(): readonly ApiVersionRange[] {
    return this.table;
  }
}
