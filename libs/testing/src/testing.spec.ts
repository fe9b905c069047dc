import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { freePort, freePorts } from './ports';
import { RunnelNode } from './node';
import { apiVersions } from './probe';

const entry = path.join(__dirname, 'fixtures', 'fake-node.js');
jest.setTimeout(30_000);

describe('freePort', () => {
  it('returns distinct bindable ports', async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
    for (const p of ports) {
      await new Promise<void>((resolve, reject) => {
        const s = net.createServer().once('error', reject).listen(p, '127.0.0.1', () => s.close(() => resolve()));
      });
    }
  });

  it('skips ports in use', async () => {
    const busy = net.createServer();
    const p = await freePort();
    await new Promise<void>((r) => busy.listen(p, '127.0.0.1', () => r()));
    try {
      for (let i = 0; i < 20; i++) expect(await freePort()).not.toBe(p);
    } finally {
      busy.close();
    }
  });
});

describe('RunnelNode (with a fake node script)', () => {
  it('starts, waits for readiness, stops, restarts on the same data and cleans up', async () => {
    const node = await RunnelNode.start({ entry, name: 'fake', env: { FAKE_READY_DELAY_MS: '600' } });
    try {
      expect(node.running).toBe(true);
      expect(node.kafkaPort).toBeGreaterThan(0);
      expect((await apiVersions('127.0.0.1', node.kafkaPort)).errorCode).toBe(0);
      expect(await node.metrics()).toMatch(/runnel_broker_fake_total/);
      expect(node.overrides()).toMatchObject({ 'node.id': '1', 'process.roles': 'broker,controller', 'log.dirs': node.dataDir });
      const port = node.kafkaPort;
      const stopped = await node.stop();
      expect(stopped).toMatchObject({ code: 0, forced: false });
      await node.start();
      expect(node.kafkaPort).toBe(port);
      expect(fs.readFileSync(path.join(node.dataDir, 'starts'), 'utf8')).toBe('xx');
      expect(node.logs()).toMatch(/SIGTERM: stopping/);
      expect(node.logs()).toMatch(/starts=2/);
    } finally {
      await node.cleanup();
    }
    expect(fs.existsSync(node.dataDir)).toBe(false);
    expect(fs.existsSync(node.logPath)).toBe(true);
  });

  it('kill -9, pause/resume and forced stop', async () => {
    const node = await RunnelNode.start({ entry, name: 'fake2', env: { FAKE_IGNORE_SIGTERM: '1' } });
    try {
      node.pause();
      await expect(apiVersions('127.0.0.1', node.kafkaPort, 500)).rejects.toThrow(/no response/);
      node.resume();
      expect((await apiVersions('127.0.0.1', node.kafkaPort)).errorCode).toBe(0);
      const r = await node.stop(500);
      expect(r.forced).toBe(true);
      expect(r.signal).toBe('SIGKILL');
      await node.start();
      expect(await node.kill()).toMatchObject({ signal: 'SIGKILL' });
      expect(node.running).toBe(false);
    } finally {
      await node.cleanup();
    }
  });

  it('reports a node that dies at startup with its log', async () => {
    const bad = path.join(path.dirname(entry), 'does-not-exist.js');
    await expect(RunnelNode.start({ entry: bad, name: 'dead' })).rejects.toThrow(/exited during startup[\s\S]*Cannot find module/);
  });
});
