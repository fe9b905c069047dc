// The launcher's control endpoint. `npm run cluster -- --start-node 5` (and --stop-node, --kill-node) reach the
// running launcher over HTTP on loopback, so a node started again stays under its supervision (listed in
// cluster.json, stopped on Ctrl-C) instead of running loose in the user's shell.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

export const NODE_ACTION_FLAGS = ['--start-node', '--stop-node', '--kill-node'];
export type NodeAction = 'start' | 'stop' | 'kill';

export interface ActionResult {
  /** HTTP status: 200 done, 404 no such node, 409 not possible in the node's state, 500 failed, 503 no launcher. */
  status: number;
  message: string;
}

const HOST = '127.0.0.1';
const MAX_ACTION_MS = 180_000;

/** Serves POST /nodes/<node id or name>/<start|stop|kill> on an ephemeral loopback port. */
export async function serveNodeActions(act: (node: string, action: NodeAction) => Promise<ActionResult>): Promise<{ port: number; close(): void }> {
  const server = http.createServer((req, res) => {
    const reply = (r: ActionResult): void => {
      res.writeHead(r.status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${r.message}\n`);
    };
    req.resume();
    const m = /^\/nodes\/([^/?]{1,100})\/(start|stop|kill)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !m) return reply({ status: 404, message: 'expected POST /nodes/<node id or name>/start|stop|kill' });
    let node: string;
    try {
      node = decodeURIComponent(m[1]);
    } catch {
      return reply({ status: 404, message: `bad node name ${m[1]}` });
    }
    act(node, m[2] as NodeAction).then(reply, (e: Error) => reply({ status: 500, message: e.message }));
  });
  server.requestTimeout = MAX_ACTION_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  // The launcher lives as long as its children do; the endpoint alone must not keep it up.
  server.unref();
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Reads DATA_DIR/cluster.json and asks that cluster's launcher to act on one node. */
export async function requestNodeAction(dataDir: string, node: string, action: NodeAction): Promise<ActionResult> {
  const file = path.join(dataDir, 'cluster.json');
  let info: { launcherPid?: number; controlPort?: number };
  try {
    info = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    return { status: 503, message: `no running cluster in ${dataDir}: ${file}: ${(e as Error).message}` };
  }
  if (!info.launcherPid || !info.controlPort || !processAlive(info.launcherPid)) {
    return { status: 503, message: `the launcher of ${dataDir} is not running (or not ready yet)` };
  }
  return new Promise((resolve) => {
    const req = http.request(
      { host: HOST, port: info.controlPort, method: 'POST', path: `/nodes/${encodeURIComponent(node)}/${action}`, timeout: MAX_ACTION_MS },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 500, message: body.trim() }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${MAX_ACTION_MS / 1000} s`)));
    req.on('error', (e) => resolve({ status: 503, message: `launcher on ${HOST}:${info.controlPort}: ${e.message}` }));
    req.end();
  });
}
