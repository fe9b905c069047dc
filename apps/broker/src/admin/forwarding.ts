// Forwarding admin items (topics, config resources) to the controller. The controller may answer some items
// with NOT_CONTROLLER (e.g. during a leadership change) or be unreachable for a moment: those items are sent
// again until the deadline, and whatever is still unresolved then becomes REQUEST_TIMED_OUT, so clients never
// see NOT_CONTROLLER from a broker (Kafka's brokers hide the controller the same way).
import { Err } from './constants';
import { withTimeout } from '../util/with-timeout';

export interface ForwardOutcome<Item, Result> {
  /** Results the controller gave, by item key. */
  readonly results: Map<string, Result>;
  /** Items without a usable result by the deadline, with the last reason seen. */
  readonly unresolved: Array<{ item: Item; reason: string }>;
}

export interface ForwardItemsOptions<Item, Result> {
  readonly items: readonly Item[];
  /** Send these items to the controller and return its per-item results. */
  readonly send: (items: Item[], remainingMs: number) => Promise<Result[]>;
  readonly keyOfItem: (item: Item) => string;
  readonly keyOfResult: (result: Result) => string;
  readonly errorOf: (result: Result) => number;
  /** Absolute deadline (Date.now() based). At least one attempt is always made. */
  readonly deadline: number;
  readonly backoffMs?: number;
  /** Called when an answer says NOT_CONTROLLER, before retrying (lets the channel look for the new leader). */
  readonly onNotController?: () => void;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function forwardItems<Item, Result>(o: ForwardItemsOptions<Item, Result>): Promise<ForwardOutcome<Item, Result>> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? defaultSleep;
  const backoff = o.backoffMs ?? 200;
  const results = new Map<string, Result>();
  const reasons = new Map<string, string>();
  let pending = [...o.items];
  let attempt = 0;
  while (pending.length > 0) {
    if (attempt > 0) {
      const left = o.deadline - now();
      if (left <= 0) break;
      await sleep(Math.min(backoff * Math.min(attempt, 5), left));
      if (o.deadline - now() <= 0) break;
    }
    attempt++;
    let answer: Result[];
    try {
      const ms = Math.max(1, o.deadline - now());
      answer = await withTimeout(o.send(pending, ms), ms, `Timed out after ${ms} ms waiting for the controller.`);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      for (const item of pending) reasons.set(o.keyOfItem(item), reason);
      continue;
    }
    const byKey = new Map<string, Result>();
    for (const r of answer ?? []) byKey.set(o.keyOfResult(r), r);
    const retry: Item[] = [];
    for (const item of pending) {
      const key = o.keyOfItem(item);
      const r = byKey.get(key);
      if (r === undefined) {
        reasons.set(key, 'The controller returned no result for this item.');
        continue; // not retried: re-sending would not help a controller that ignores it
      }
      if (o.errorOf(r) === Err.NOT_CONTROLLER) {
        reasons.set(key, 'The controller is moving; retried until the timeout.');
        retry.push(item);
        continue;
      }
      results.set(key, r);
    }
    pending = retry;
    if (retry.length > 0) {
      try {
        o.onNotController?.();
      } catch {
        /* a hint only */
      }
    }
  }
  const unresolved: Array<{ item: Item; reason: string }> = [];
  for (const item of o.items) {
    const key = o.keyOfItem(item);
    if (!results.has(key)) unresolved.push({ item, reason: reasons.get(key) ?? 'Timed out waiting for the controller.' });
  }
  return { results, unresolved };
}

/**
 * How long to keep trying the controller for a request carrying `timeoutMs`. Kafka clients often send 0
 * ("don't wait for propagation": librdkafka's default), which must still create the topic, so 0 or a
 * missing timeout gets `idleMs`; tiny positive timeouts get a 1 s floor.
 */
export function forwardBudgetMs(timeoutMs: number | undefined | null, idleMs = 5_000, capMs = 60_000): number {
  const t = typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) ? timeoutMs : 0;
  if (t <= 0) return idleMs;
  return Math.min(capMs, Math.max(1_000, t));
}

/** Keys that occur more than once (in first-seen order). */
export function duplicates<T>(items: readonly T[], key: (t: T) => string): Set<string> {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const it of items) {
    const k = key(it);
    if (seen.has(k)) dup.add(k);
    else seen.add(k);
  }
  return dup;
}
