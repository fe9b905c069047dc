// Small helpers shared by the admin handlers.
import { errorInfo } from '@runnel/protocol';
import type { RequestContext } from '../api/handler';
import { brokerConfigState, defaultCatalog, effectiveBrokerValue } from './catalog';
import type { BrokerConfigState, ConfigCatalog } from './config-model';

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** Kafka's default message for a code, used when the controller (or we) gave none. */
export function defaultMessage(code: number): string | null {
  if (code === 0) return null;
  try {
    return errorInfo(code)?.message ?? null;
  } catch {
    return null;
  }
}

export interface AdminView {
  readonly catalog: ConfigCatalog;
  readonly state: BrokerConfigState;
  /** Effective broker value (dynamic > static > default) as an integer, or `fallback`. */
  brokerInt(name: string, fallback: number): number;
}

export function adminView(ctx: RequestContext): AdminView {
  const s = ctx.services;
  const catalog = defaultCatalog();
  const state = brokerConfigState({ nodeId: s.nodeId, config: s.config, metadata: s.metadata });
  return {
    catalog,
    state,
    brokerInt(name, fallback) {
      const v = effectiveBrokerValue(name, catalog, state);
      const n = v === null ? NaN : Number(v);
      return Number.isInteger(n) ? n : fallback;
    },
  };
}

/** Read a field defensively from an untrusted decoded body. */
export function arr<T>(v: T[] | null | undefined): T[] {
  return Array.isArray(v) ? v : [];
}

export function remaining(deadline: number): number {
  return Math.max(0, deadline - Date.now());
}

/**
 * Tell the controller channel that the voter it talks to is not the active controller (per-item NOT_CONTROLLER
 * answers are inside the response body, which the channel does not inspect). Optional on the channel.
 */
export function notControllerHint(ctx: RequestContext): () => void {
  return () => {
    const c = ctx.services.controller as unknown as { notController?: () => void };
    if (typeof c.notController === 'function') c.notController();
  };
}
