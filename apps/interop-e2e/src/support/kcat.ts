import { describeRun, run, RunResult } from './run';

export interface KcatMessage {
  topic: string;
  partition: number;
  offset: number;
  tstype: string;
  ts: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

/** Runs kcat (librdkafka 2.0.2) against a broker; debug output off, short metadata timeouts. */
export function kcat(bootstrap: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return run('kcat', ['-b', bootstrap, '-X', 'client.id=runnel-e2e-kcat', ...args], { input: opts.input, timeoutMs: opts.timeoutMs ?? 60_000 });
}

/** kcat -P: produces newline-separated `input`, failing the test on a non-zero exit or delivery errors. */
export async function kcatProduce(bootstrap: string, topic: string, input: string, extra: string[] = [], timeoutMs = 60_000): Promise<RunResult> {
  const r = await kcat(bootstrap, ['-P', '-t', topic, ...extra], { input, timeoutMs });
  if (r.code !== 0 || /ERROR|failed/i.test(r.stderr)) throw new Error(describeRun(`kcat -P -t ${topic} ${extra.join(' ')}`, r));
  return r;
}

/** kcat -C from the beginning to the end of every partition, JSON envelope per message. */
export async function kcatConsume(bootstrap: string, topic: string, extra: string[] = [], timeoutMs = 60_000): Promise<KcatMessage[]> {
  const r = await kcat(bootstrap, ['-C', '-t', topic, '-o', 'beginning', '-e', '-J', '-q', ...extra], { timeoutMs });
  if (r.code !== 0) throw new Error(describeRun(`kcat -C -t ${topic}`, r));
  return r.stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as KcatMessage);
}
