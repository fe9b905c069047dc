import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './ports';
import { apiVersions, brokerMetadata, httpGet } from './probe';

export type Role = 'broker' | 'controller';

export interface NodeOptions {
  /** Used in file names and messages. */
  name?: string;
  nodeId?: number;
  roles?: Role[];
  /** Ports; any left out are allocated. */
  kafkaPort?: number;
  controllerPort?: number;
  metricsPort?: number;
  controllerMetricsPort?: number;
  /** Quorum voters "id@host:port,..."; default: this node on its controller port (combined/controller nodes). */
  quorumVoters?: string;
  /** Data directory (log.dirs); default a fresh temp dir removed by cleanup(). */
  dataDir?: string;
  /** Extra `--override key=value` settings. */
  overrides?: Record<string, string | number | boolean>;
  /** More broker listeners besides PLAINTEXT (name -> port), e.g. { REPLICATION: 19612 }; map their protocol in listener.security.protocol.map. */
  extraListeners?: Record<string, number>;
  /** Extra environment for the child. */
  env?: Record<string, string>;
  /** Script to run (default <repo>/dist/tools/start/main.js); tests of the harness pass a fake. */
  entry?: string;
  /** Extra arguments placed before the overrides (e.g. a properties file). */
  args?: string[];
  /** How long start() waits for readiness. */
  readyTimeoutMs?: number;
  /** Where the child's stdout/stderr go (appended); default a file in logDir(). */
  logPath?: string;
  /** Run the child in its own process group, so a terminal's Ctrl-C reaches only the parent (which stops it in order). */
  detached?: boolean;
  repoRoot?: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StopResult extends ExitInfo {
  /** SIGTERM wasn't enough within the timeout and SIGKILL was sent. */
  forced: boolean;
  durationMs: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Never leave broker processes behind when the test runner exits (or crashes).
  process.once('exit', () => {
    for (const c of live) {
      try {
        c.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/** The workspace root (the directory whose package.json is @runnel/source). */
export function findRepoRoot(from = __dirname): string {
  let dir = from;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === '@runnel/source') return dir;
      } catch {
        // keep looking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the Runnel workspace root above ${from}`);
    dir = up;
  }
}

/** Where child logs go; they survive cleanup() so a failed run can be diagnosed. */
export function logDir(): string {
  const dir = process.env.RUNNEL_TEST_LOG_DIR ?? path.join(os.tmpdir(), 'runnel-test-logs');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One Runnel node (broker, controller or both) running as a real child process:
 * `node -r tools/runtime/paths.js dist/tools/start/main.js --override ...`.
 */
export class RunnelNode {
  readonly name: string;
  readonly nodeId: number;
  readonly roles: Role[];
  readonly host = '127.0.0.1';
  kafkaPort = 0;
  controllerPort = 0;
  metricsPort = 0;
  controllerMetricsPort = 0;
  quorumVoters = '';
  readonly dataDir: string;
  readonly logPath: string;
  readonly repoRoot: string;
  private child: ChildProcess | null = null;
  private exitPromise: Promise<ExitInfo> | null = null;
  private lastExit: ExitInfo | null = null;
  private readonly ownsDataDir: boolean;
  private readonly baseDir: string;
  starts = 0;

  constructor(private readonly options: NodeOptions = {}) {
    this.nodeId = options.nodeId ?? 1;
    this.roles = options.roles ?? ['broker', 'controller'];
    this.name = options.name ?? `node${this.nodeId}`;
    this.repoRoot = options.repoRoot ?? findRepoRoot();
    this.baseDir = fs.mkdtempSync(path.join(os.tmpdir(), `runnel-${this.name}-`));
    this.ownsDataDir = options.dataDir === undefined;
    this.dataDir = options.dataDir ?? path.join(this.baseDir, 'data');
    this.logPath = options.logPath ?? path.join(logDir(), `${this.name}-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`);
    this.kafkaPort = options.kafkaPort ?? 0;
    this.controllerPort = options.controllerPort ?? 0;
    this.metricsPort = options.metricsPort ?? 0;
    this.controllerMetricsPort = options.controllerMetricsPort ?? 0;
    this.quorumVoters = options.quorumVoters ?? '';
  }

  /** Creates, starts and waits until ready. */
  static async start(options: NodeOptions = {}): Promise<RunnelNode> {
    const node = new RunnelNode(options);
    try {
      await node.start();
    } catch (e) {
      await node.cleanup({ keepLogs: true });
      throw e;
    }
    return node;
  }

  get isBroker(): boolean {
    return this.roles.includes('broker');
  }

  get isController(): boolean {
    return this.roles.includes('controller');
  }

  /** "127.0.0.1:port" of the Kafka listener. */
  get bootstrap(): string {
    return `${this.host}:${this.kafkaPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null && this.lastExit === null;
  }

  /** Resolves when the current process exits. */
  get exited(): Promise<ExitInfo> {
    return this.exitPromise ?? Promise.resolve(this.lastExit ?? { code: null, signal: null });
  }

  /** Allocates any missing ports (kept across restarts). */
  async allocatePorts(): Promise<void> {
    if (this.isBroker && !this.kafkaPort) this.kafkaPort = await freePort();
    if (this.isController && !this.controllerPort) this.controllerPort = await freePort();
    if (this.isBroker && !this.metricsPort) this.metricsPort = await freePort();
    if (this.isController && !this.controllerMetricsPort) this.controllerMetricsPort = await freePort();
    if (!this.quorumVoters && this.isController) this.quorumVoters = `${this.nodeId}@${this.host}:${this.controllerPort}`;
  }

  /** The `--override` settings passed to the child. */
  overrides(): Record<string, string> {
    const listeners: string[] = [];
    if (this.isBroker) listeners.push(`PLAINTEXT://${this.host}:${this.kafkaPort}`);
    if (this.isBroker) for (const [name, port] of Object.entries(this.options.extraListeners ?? {})) listeners.push(`${name}://${this.host}:${port}`);
    if (this.isController) listeners.push(`CONTROLLER://${this.host}:${this.controllerPort}`);
    const o: Record<string, string> = {
      'node.id': String(this.nodeId),
      'process.roles': this.roles.join(','),
      listeners: listeners.join(','),
      'controller.listener.names': 'CONTROLLER',
      'log.dirs': this.dataDir,
      'metrics.host': this.host,
      'metrics.port': String(this.isBroker ? this.metricsPort : -1),
      'controller.metrics.port': String(this.isController ? this.controllerMetricsPort : -1),
    };
    if (this.quorumVoters) o['controller.quorum.voters'] = this.quorumVoters;
    for (const [k, v] of Object.entries(this.options.overrides ?? {})) o[k] = String(v);
    return o;
  }

  command(): { file: string; args: string[] } {
    const entry = this.options.entry ?? path.join(this.repoRoot, 'dist', 'tools', 'start', 'main.js');
    const args = ['-r', path.join(this.repoRoot, 'tools', 'runtime', 'paths.js'), entry, ...(this.options.args ?? [])];
    for (const [k, v] of Object.entries(this.overrides())) args.push('--override', `${k}=${v}`);
    return { file: process.execPath, args };
  }

  /** Spawns the process (same ports and data as before on a restart) and waits until it is ready. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running (pid ${this.pid})`);
    await this.allocatePorts();
    fs.mkdirSync(this.dataDir, { recursive: true });
    const { file, args } = this.command();
    const log = fs.openSync(this.logPath, 'a');
    fs.writeSync(log, `\n===== ${new Date().toISOString()} start #${this.starts + 1}: ${file} ${args.join(' ')}\n`);
    installExitHook();
    const child = spawn(file, args, {
      cwd: this.repoRoot,
      stdio: ['ignore', log, log],
      detached: this.options.detached ?? false,
      env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1', ...(this.options.env ?? {}) },
    });
    fs.closeSync(log);
    this.starts++;
    this.child = child;
    this.lastExit = null;
    live.add(child);
    this.exitPromise = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.lastExit = { code, signal };
        resolve(this.lastExit);
      });
    });
    await this.waitReady(this.options.readyTimeoutMs ?? 30_000);
  }

  /**
   * Polls until the node serves: a broker answers ApiVersions and lists itself in Metadata (it has
   * registered and replayed metadata) and its /health/ready isn't 503; a controller-only node
   * answers /health/ready 200 or ApiVersions on its controller port.
   */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastProblem = 'not checked yet';
    while (Date.now() < deadline) {
      if (!this.running) {
        throw new Error(`${this.name} exited during startup (${JSON.stringify(this.lastExit)}). Log ${this.logPath}:\n${this.logTail(40)}`);
      }
      lastProblem = await this.readinessProblem();
      if (lastProblem === '') return;
      await sleep(100);
    }
    throw new Error(`${this.name} not ready within ${timeoutMs} ms (${lastProblem}). Log ${this.logPath}:\n${this.logTail(40)}`);
  }

  /** '' when ready, else what is missing. */
  async readinessProblem(): Promise<string> {
    if (this.isBroker) {
      try {
        const v = await apiVersions(this.host, this.kafkaPort, 1000);
        if (v.errorCode !== 0) return `ApiVersions error ${v.errorCode}`;
      } catch (e) {
        return `Kafka port ${this.kafkaPort}: ${(e as Error).message}`;
      }
      try {
        const md = await brokerMetadata(this.host, this.kafkaPort, 1000);
        if (!md.brokers.some((b) => b.nodeId === this.nodeId)) return `Metadata doesn't list broker ${this.nodeId} yet`;
      } catch (e) {
        return `Metadata: ${(e as Error).message}`;
      }
      const h = await httpGet(this.host, this.metricsPort, '/health/ready', 1000);
      if (h.status === 503) return `broker /health/ready 503 ${h.body.trim()}`;
    }
    if (this.isController) {
      const h = await httpGet(this.host, this.controllerMetricsPort, '/health/ready', 1000);
      if (h.status === 200) return '';
      if (h.status === 503) return `controller /health/ready 503 ${h.body.trim()}`;
      if (!this.isBroker) {
        try {
          const v = await apiVersions(this.host, this.controllerPort, 1000);
          if (v.errorCode !== 0) return `controller ApiVersions error ${v.errorCode}`;
        } catch (e) {
          return `controller port ${this.controllerPort}: ${(e as Error).message}`;
        }
      }
    }
    return '';
  }

  /** Graceful stop: SIGTERM, then SIGKILL after timeoutMs. */
  async stop(timeoutMs = 20_000): Promise<StopResult> {
    const child = this.child;
    const t0 = Date.now();
    if (!child || !this.running) return { ...(this.lastExit ?? { code: null, signal: null }), forced: false, durationMs: 0 };
    child.kill('SIGCONT'); // a paused process can't handle SIGTERM
    child.kill('SIGTERM');
    let forced = false;
    const timer = setTimeout(() => {
      forced = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return { ...exit, forced, durationMs: Date.now() - t0 };
  }

  /** kill -9 (no chance to flush or close anything). */
  async kill(): Promise<ExitInfo> {
    if (!this.running) return this.lastExit ?? { code: null, signal: null };
    this.child!.kill('SIGKILL');
    return this.exited;
  }

  /** SIGSTOP: the process freezes (sockets stay open, nothing answers). */
  pause(): void {
    if (this.running) this.child!.kill('SIGSTOP');
  }

  /** SIGCONT after pause(). */
  resume(): void {
    if (this.running) this.child!.kill('SIGCONT');
  }

  /** Stops (gracefully, or kill -9 with { hard: true }) and starts again on the same ports and data. */
  async restart(opts: { hard?: boolean } = {}): Promise<void> {
    if (opts.hard) await this.kill();
    else await this.stop();
    await this.start();
  }

  /** The broker's (or with `controller`, the controller's) /metrics text. */
  async metrics(which: 'broker' | 'controller' = this.isBroker ? 'broker' : 'controller'): Promise<string> {
    const port = which === 'broker' ? this.metricsPort : this.controllerMetricsPort;
    const res = await httpGet(this.host, port, '/metrics', 5000);
    if (res.status !== 200) throw new Error(`${this.name} ${which} /metrics answered ${res.status}`);
    return res.body;
  }

  logs(): string {
    try {
      return fs.readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  logTail(lines = 50): string {
    return this.logs().split('\n').slice(-lines).join('\n');
  }

  /** Kills the process if needed and removes the temp data (logs stay unless keepLogs is false). */
  async cleanup(opts: { keepLogs?: boolean } = {}): Promise<void> {
    if (this.running) await this.kill();
    if (process.env.RUNNEL_KEEP_TEST_DATA !== '1') {
      if (this.ownsDataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
      fs.rmSync(this.baseDir, { recursive: true, force: true });
      if (opts.keepLogs === false) fs.rmSync(this.logPath, { force: true });
    }
  }
}
