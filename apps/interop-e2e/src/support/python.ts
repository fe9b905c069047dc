import * as path from 'node:path';
import { describeRun, run } from './run';

export const PYTHON = '/usr/bin/python3';

/**
 * Runs apps/interop-e2e/src/python/<script> with one JSON argument and returns the JSON object it
 * prints as its last stdout line.
 */
export async function python<T = Record<string, unknown>>(script: string, args: Record<string, unknown>, timeoutMs = 90_000): Promise<T> {
  const file = path.join(__dirname, '..', 'python', script);
  const r = await run(PYTHON, [file, JSON.stringify(args)], { timeoutMs, env: { PYTHONUNBUFFERED: '1' } });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !last.startsWith('{')) throw new Error(describeRun(`python3 ${script}`, r));
  return JSON.parse(last) as T;
}
