import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { ErrorCode } from '../generated/error-codes';
import { ApiKey } from '../generated/api-keys';
import { FrameDecoder } from '../frame/frame-decoder';
import { decodeRequestFrame, encodeResponse, RequestHeader } from './messages';

/*
 * librdkafka 2.0.2 (through kcat 1.7.1) against a minimal in-test responder built only from this codec: kcat opens
 * with ApiVersions v3 (flexible request, header v0 response) and then asks for Metadata; `kcat -L -J` must print
 * the metadata we encoded. The socket lives in the test only; the library itself stays I/O-free. Port 0.
 */

const KCAT = '/usr/bin/kcat';
const haveKcat = fs.existsSync(KCAT);

function respond(header: RequestHeader, port: number): Buffer[] | null {
  switch (header.apiKey) {
    case ApiKey.ApiVersions:
      if (header.apiVersion > 3) {
        // what a broker answers to a version it doesn't know: v0 body with UNSUPPORTED_VERSION
        return encodeResponse(ApiKey.ApiVersions, 0, header.correlationId, {
          errorCode: ErrorCode.UNSUPPORTED_VERSION,
          apiKeys: [{ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 }],
        });
      }
      return encodeResponse(ApiKey.ApiVersions, header.apiVersion, header.correlationId, {
        errorCode: 0,
        apiKeys: [
          { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 6 },
          { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 },
        ],
        throttleTimeMs: 0,
      });
    case ApiKey.Metadata:
      return encodeResponse(ApiKey.Metadata, header.apiVersion, header.correlationId, {
        throttleTimeMs: 0,
        brokers: [{ nodeId: 1, host: '127.0.0.1', port, rack: null }],
        clusterId: 'runnel-codec-test',
        controllerId: 1,
        topics: [
          {
            errorCode: 0,
            name: 'alpha',
            isInternal: false,
            partitions: [0, 1].map((p) => ({ errorCode: 0, partitionIndex: p, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1] })),
          },
        ],
      });
    default:
      return null;
  }
}

(haveKcat ? test : test.skip)('kcat -L decodes our ApiVersions v3 and Metadata responses', async () => {
  const seen: string[] = [];
  const server = net.createServer((sock) => {
    const frames = new FrameDecoder();
    sock.on('data', (chunk) => {
      for (const f of frames.push(chunk)) {
        const { header } = decodeRequestFrame(f);
        seen.push(`${header.apiKey}v${header.apiVersion}`);
        const out = respond(header, (server.address() as net.AddressInfo).port);
        if (out) sock.write(Buffer.concat(out));
      }
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(KCAT, ['-b', `127.0.0.1:${port}`, '-L', '-J', '-m', '10'], { timeout: 20000 }, (err, out, errOut) => {
        if (err) reject(new Error(`kcat failed: ${err.message}\n${errOut}`));
        else resolve(out);
      });
    });
    const md = JSON.parse(stdout);
    expect(md.brokers).toEqual([{ id: 1, name: `127.0.0.1:${port}` }]);
    expect(md.topics.map((t: { topic: string }) => t.topic)).toEqual(['alpha']);
    expect(md.topics[0].partitions.map((p: { partition: number; leader: number }) => [p.partition, p.leader])).toEqual([
      [0, 1],
      [1, 1],
    ]);
    expect(seen[0]).toBe('18v3');
    expect(seen).toContain('3v4');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}, 30000);
