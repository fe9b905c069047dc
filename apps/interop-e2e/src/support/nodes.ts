import { NodeOptions, RunnelNode } from '@runnel/testing';

/**
 * Starts a single combined node (broker + controller) for one test file. Failures carry the node's
 * log tail; the log file itself is kept under $TMPDIR/runnel-test-logs.
 */
export async function startNode(name: string, options: NodeOptions = {}): Promise<RunnelNode> {
  // RUNNEL_E2E_ENTRY runs another launcher script (e.g. a local one while tools/start is being built).
  const entry = process.env.RUNNEL_E2E_ENTRY || undefined;
  return RunnelNode.start({ name: `e2e-${name}`, readyTimeoutMs: 60_000, entry, ...options });
}

/** Appends the node's log tail to an error so a failing assertion shows what the broker said. */
export async function withLogs<T>(node: RunnelNode | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (node && e instanceof Error) e.message += `\n--- ${node.name} log tail (${node.logPath}) ---\n${node.logTail(30)}`;
    throw e;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value or the timeout passes. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, stepMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(stepMs);
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}
