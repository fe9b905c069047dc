import { KafkaProtocolError } from '../errors/kafka-protocol-error';
import { ApiKey, API_SPECS } from '../generated/api-keys';
import { Reader } from '../primitives/reader';
import {
  decodeMetadataRecord,
  decodeVersionedMessage,
  encodeVersionedMessage,
  decodeRequest,
  decodeRequestFrame,
  decodeRequestHeader,
  decodeResponse,
  encodeMetadataRecord,
  encodeRequest,
  encodeResponse,
  requestHeaderVersion,
  responseHeaderVersion,
} from './messages';

const join = (chunks: Buffer[]) => Buffer.concat(chunks).toString('hex');
const h = (s: string) => Buffer.from(s.replace(/[\s|]+/g, ''), 'hex');

/*
 * Golden bytes. The request frames were captured from the real clients installed on this machine:
 * kcat 1.7.1 / librdkafka 2.0.2 (`kcat -L` against a listening socket) and kafka-python 2.0.2
 * (`KafkaProtocol(client_id='kafka-python').send_request(ApiVersionRequest[0]())`). The v0/v1 responses are
 * kafka-python's own encoding of ApiVersionResponse; the v3 response follows the spec (header v0, compact body).
 */
const LIBRDKAFKA_API_VERSIONS_V3_REQUEST =
  '00000024 | 0012 0003 00000001 0007 72646b61666b61 00 | 0b 6c696272646b61666b61 06 322e302e32 00';
const KAFKA_PYTHON_API_VERSIONS_V0_REQUEST = '00000016 | 0012 0000 00000001 000c 6b61666b612d707974686f6e';
const KAFKA_PYTHON_API_VERSIONS_V0_RESPONSE_BODY = '0000 00000003 0000 0000 0007 0001 0000 000b 0012 0000 0003';
const KAFKA_PYTHON_API_VERSIONS_V1_RESPONSE_BODY = '0000 00000002 0000 0000 0007 0012 0000 0003 00000000';
// correlation id 1, header v0 (no tag buffer even though v3 is flexible), error 0, compact array of 2 entries each
// with an empty tag buffer, throttle 0, empty tag buffer
const API_VERSIONS_V3_RESPONSE = '0000001a | 00000001 | 0000 03 0000 0000 0007 00 0012 0000 0003 00 00000000 00';

describe('ApiVersions golden bytes', () => {
  test('librdkafka v3 request decodes', () => {
    const frame = h(LIBRDKAFKA_API_VERSIONS_V3_REQUEST);
    const { header, body } = decodeRequestFrame(frame.subarray(4));
    expect(header).toEqual({ apiKey: 18, apiVersion: 3, correlationId: 1, clientId: 'rdkafka' });
    expect(body).toEqual({ clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' });
  });

  test('librdkafka v3 request encodes byte for byte', () => {
    const chunks = encodeRequest(
      { apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 1, clientId: 'rdkafka' },
      { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' },
    );
    expect(join(chunks)).toBe(h(LIBRDKAFKA_API_VERSIONS_V3_REQUEST).toString('hex'));
  });

  test('v3 response uses header v0 and compact arrays', () => {
    const body = {
      errorCode: 0,
      apiKeys: [
        { apiKey: 0, minVersion: 0, maxVersion: 7 },
        { apiKey: 18, minVersion: 0, maxVersion: 3 },
      ],
      throttleTimeMs: 0,
    };
    const bytes = join(encodeResponse(ApiKey.ApiVersions, 3, 1, body));
    expect(bytes).toBe(h(API_VERSIONS_V3_RESPONSE).toString('hex'));
    const decoded = decodeResponse(ApiKey.ApiVersions, 3, h(API_VERSIONS_V3_RESPONSE).subarray(4));
    expect(decoded.correlationId).toBe(1);
    expect(decoded.body).toMatchObject(body);
    expect(decoded.body.finalizedFeaturesEpoch).toBe(-1n);
  });

  test('kafka-python v0 request decodes and encodes byte for byte', () => {
    const frame = h(KAFKA_PYTHON_API_VERSIONS_V0_REQUEST);
    const { header, body } = decodeRequestFrame(frame.subarray(4));
    expect(header).toEqual({ apiKey: 18, apiVersion: 0, correlationId: 1, clientId: 'kafka-python' });
    expect(body).toEqual({ clientSoftwareName: '', clientSoftwareVersion: '' });
    expect(join(encodeRequest(header, {}))).toBe(frame.toString('hex'));
  });

  test.each([
    [0, KAFKA_PYTHON_API_VERSIONS_V0_RESPONSE_BODY, [[0, 0, 7], [1, 0, 11], [18, 0, 3]]],
    [1, KAFKA_PYTHON_API_VERSIONS_V1_RESPONSE_BODY, [[0, 0, 7], [18, 0, 3]]],
  ] as const)('v%d response matches kafka-python', (version, bodyHex, keys) => {
    const body = { errorCode: 0, apiKeys: keys.map(([apiKey, minVersion, maxVersion]) => ({ apiKey, minVersion, maxVersion })) };
    const frame = Buffer.concat(encodeResponse(ApiKey.ApiVersions, version, 7, body));
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    expect(frame.readInt32BE(4)).toBe(7);
    expect(frame.subarray(8).toString('hex')).toBe(h(bodyHex).toString('hex'));
  });
});

describe('headers', () => {
  test('header versions follow flexibility; ApiVersions responses are always v0', () => {
    expect(requestHeaderVersion(ApiKey.Produce, 8)).toBe(1);
    expect(requestHeaderVersion(ApiKey.Produce, 9)).toBe(2);
    expect(responseHeaderVersion(ApiKey.Produce, 9)).toBe(1);
    expect(requestHeaderVersion(ApiKey.ApiVersions, 3)).toBe(2);
    expect(responseHeaderVersion(ApiKey.ApiVersions, 3)).toBe(0);
    expect(responseHeaderVersion(ApiKey.ApiVersions, 4)).toBe(0);
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 0)).toBe(0);
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 1)).toBe(1);
    expect(requestHeaderVersion(ApiKey.AlterPartitionReassignments, 0)).toBe(2);
  });

  test('flexible request header carries a tag buffer; clientId keeps its int16 length', () => {
    const frame = Buffer.concat(
      encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 5, clientId: null }, { topics: null }),
    );
    expect(frame.subarray(4, 15).toString('hex')).toBe('0003000c00000005ffff00');
    const r = new Reader(frame, 4);
    expect(decodeRequestHeader(r)).toEqual({ apiKey: 3, apiVersion: 12, correlationId: 5, clientId: null });
    expect(decodeRequest(ApiKey.Metadata, 12, r)).toMatchObject({ topics: null, allowAutoTopicCreation: true });
  });

  test('unknown key or version: header v1 is read so the caller can answer UNSUPPORTED_VERSION', () => {
    const r = new Reader(h('7fff 0001 0000002a 0003 616263 ffff'));
    expect(decodeRequestHeader(r)).toEqual({ apiKey: 0x7fff, apiVersion: 1, correlationId: 42, clientId: 'abc' });
    const r2 = new Reader(h('0012 0063 0000002a 0003 616263 00'));
    expect(decodeRequestHeader(r2)).toEqual({ apiKey: 18, apiVersion: 99, correlationId: 42, clientId: 'abc' });
    expect(() => decodeRequest(18, 99, r2)).toThrow(KafkaProtocolError);
    try {
      decodeRequest(18, 99, r2);
    } catch (e) {
      expect((e as KafkaProtocolError).code).toBe(35);
    }
  });

  test('flexible response header v1 has a tag buffer', () => {
    const frame = Buffer.concat(encodeResponse(ApiKey.Metadata, 12, 9, { topics: [] }));
    expect(frame.subarray(4, 9).toString('hex')).toBe('0000000900');
    expect(decodeResponse(ApiKey.Metadata, 12, frame.subarray(4)).correlationId).toBe(9);
  });
});

describe('records fields', () => {
  test('decode to zero-copy slices; encode Buffer[] by reference', () => {
    const batchA = Buffer.alloc(1000, 1);
    const batchB = Buffer.alloc(2000, 2);
    const body = {
      responses: [
        {
          topic: 't',
          partitions: [{ partitionIndex: 0, highWatermark: 10n, records: [batchA, batchB] }],
        },
      ],
    };
    const chunks = encodeResponse(ApiKey.Fetch, 11, 3, body);
    expect(chunks).toContain(batchA);
    expect(chunks).toContain(batchB);
    const frame = Buffer.concat(chunks);
    const { body: decoded } = decodeResponse(ApiKey.Fetch, 11, frame.subarray(4));
    const records = decoded.responses[0].partitions[0].records as Buffer;
    expect(records.length).toBe(3000);
    expect(records.buffer).toBe(frame.buffer);
    expect(records.subarray(0, 1000).equals(batchA)).toBe(true);
    expect(decoded.responses[0].partitions[0].preferredReadReplica).toBe(-1);
  });

  test('produce request records round trip', () => {
    const batch = Buffer.alloc(700, 9);
    const frame = Buffer.concat(
      encodeRequest(
        { apiKey: ApiKey.Produce, apiVersion: 7, correlationId: 1, clientId: 'c' },
        { acks: -1, timeoutMs: 30000, topicData: [{ name: 't', partitionData: [{ index: 0, records: batch }] }] },
      ),
    );
    const { body } = decodeRequestFrame(frame.subarray(4));
    expect(body).toMatchObject({ transactionalId: null, acks: -1, timeoutMs: 30000 });
    const req = body as { topicData: { partitionData: { records: Buffer }[] }[] };
    expect(req.topicData[0].partitionData[0].records.equals(batch)).toBe(true);
  });
});

describe('metadata records', () => {
  test('framing: frame version, record type, version, body', () => {
    const buf = encodeMetadataRecord({ name: 'TopicRecord', version: 0, data: { name: 'foo', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' } });
    expect(buf.subarray(0, 3).toString('hex')).toBe('010200');
    expect(decodeMetadataRecord(buf)).toEqual({
      name: 'TopicRecord',
      apiKey: 2,
      version: 0,
      data: { name: 'foo', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' },
    });
    const rec = decodeMetadataRecord(
      encodeMetadataRecord({ name: 'PartitionRecord', version: 0, data: { partitionId: 3, replicas: [1], isr: [1], leader: 1 } }),
    );
    expect(rec.name).toBe('PartitionRecord');
    expect(rec.data).toMatchObject({ partitionId: 3, leader: 1, leaderEpoch: -1, replicas: [1] });
  });

  test('rejects unknown record types and non-metadata specs', () => {
    expect(() => decodeMetadataRecord(h('01 7f 00'))).toThrow(KafkaProtocolError);
    expect(() => encodeMetadataRecord({ name: 'FetchRequest', version: 0, data: {} })).toThrow(KafkaProtocolError);
  });
});

describe('api table', () => {
  test('ranges come from the specs', () => {
    expect(API_SPECS[ApiKey.Produce]).toMatchObject({ name: 'Produce', validVersions: [0, 11], flexibleVersions: [9, 11] });
    expect(API_SPECS[ApiKey.ApiVersions].flexibleVersions).toEqual([3, 4]);
    expect(API_SPECS[ApiKey.SaslHandshake].flexibleVersions).toBeNull();
    expect(ApiKey.BrokerRegistration).toBe(62);
  });
});

describe('version-prefixed data', () => {
  test('consumer protocol subscription round trip; newer versions read as the newest known', () => {
    const buf: Buffer = encodeVersionedMessage('ConsumerProtocolSubscription', 1, { topics: ['a', 'b'], userData: null, ownedPartitions: [{ topic: 'a', partitions: [0] }] });
    expect(buf.readInt16BE(0)).toBe(1);
    const { version, data } = decodeVersionedMessage('ConsumerProtocolSubscription', buf);
    expect(version).toBe(1);
    expect(data).toMatchObject({ topics: ['a', 'b'], userData: null, ownedPartitions: [{ topic: 'a', partitions: [0] }] });
    // a future version's body starts with everything the newest known version has
    const future = encodeVersionedMessage('ConsumerProtocolSubscription', 3, { topics: ['a'], rackId: 'r1' });
    future.writeInt16BE(99, 0);
    expect(decodeVersionedMessage('ConsumerProtocolSubscription', future).data).toMatchObject({ topics: ['a'], rackId: 'r1' });
    expect(decodeVersionedMessage('ConsumerProtocolSubscription', future).version).toBe(99);
    expect(() => decodeVersionedMessage('ConsumerProtocolSubscription', future, { clampNewer: false })).toThrow(KafkaProtocolError);
  });

  test('__consumer_offsets key', () => {
    const key: Buffer = encodeVersionedMessage('OffsetCommitKey', 1, { group: 'g', topic: 't', partition: 3 });
    expect(key.toString('hex')).toBe('0001' + '000167' + '000174' + '00000003');
    expect(decodeVersionedMessage('OffsetCommitKey', key).data).toEqual({ group: 'g', topic: 't', partition: 3 });
  });
});
