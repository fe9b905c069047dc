import * as net from 'node:net';

/** The test harness's port range; outside the kernel's ephemeral range, so client sockets don't take them. */
const RANGE_START = 19500;
const RANGE_END = 19999;
let next = RANGE_START + Math.floor(Math.random() * (RANGE_END - RANGE_START));
const handedOut = new Set<number>();

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * Returns a port that is free right now on `host`. It walks the qa range (random start per
 * process, never repeating within a process) and falls back to an OS-chosen port.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let tries = 0; tries < RANGE_END - RANGE_START; tries++) {
    const port = next;
    next = next >= RANGE_END ? RANGE_START : next + 1;
    if (handedOut.has(port)) continue;
    if (await canBind(port, host)) {
      handedOut.add(port);
      return port;
    }
  }
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await freePort(host));
  return out;
}
