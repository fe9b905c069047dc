import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthState {
  ready: boolean;
  /** Shown in the /health/ready body (e.g. { metadataOffset: 42 } or the reason it isn't ready). */
  details?: Record<string, unknown>;
}

export type ReadinessCheck = () => boolean | HealthState | Promise<boolean | HealthState>;

export interface MetricsServerOptions {
  registry: Registry;
  /** Port; 0 = any free port, -1 or null = don't listen. */
  port: number | null;
  host?: string;
  /** Readiness; default: ready as soon as the server listens. */
  readiness?: ReadinessCheck;
  /** Config key named in errors (e.g. metrics.port). */
  portKey?: string;
}

/**
 * A tiny node:http server for /metrics, /health/live and /health/ready. Plain http (no Express) so
 * it starts in milliseconds and works in any app, Nest or not.
 */
export class MetricsServer {
  private server: http.Server | null = null;
  private boundPort: number | null = null;

  constructor(private readonly options: MetricsServerOptions) {}

  /** The bound port (after listen), or null when disabled. */
  get port(): number | null {
    return this.boundPort;
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  async listen(): Promise<void> {
    const port = this.options.port;
    if (port === null || port < 0 || this.server) return;
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      });
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        const key = this.options.portKey ?? 'metrics.port';
        reject(new Error(`Cannot serve /metrics on ${this.host}:${port} (${key}): ${err.code ?? err.message}`));
      };
      server.once('error', onError);
      server.listen(port, this.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async readiness(): Promise<HealthState> {
    const check = this.options.readiness;
    if (!check) return { ready: true };
    const r = await check();
    return typeof r === 'boolean' ? { ready: r } : r;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    switch (url) {
      case '/metrics': {
        const body = await this.options.registry.metrics();
        send(200, this.options.registry.contentType, body);
        return;
      }
      case '/health':
      case '/health/ready': {
        const state = await this.readiness();
        send(state.ready ? 200 : 503, 'application/json', JSON.stringify({ status: state.ready ? 'ready' : 'not ready', ...(state.details ?? {}) }) + '\n');
        return;
      }
      case '/health/live':
        send(200, 'application/json', '{"status":"live"}\n');
        return;
      default:
        send(404, 'text/plain; charset=utf-8', 'not found: try /metrics, /health/live or /health/ready\n');
    }
  }
}
