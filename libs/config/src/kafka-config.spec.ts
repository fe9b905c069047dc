import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from './errors';
import { envNameForKey, KafkaConfig, keyForEnvName } from './kafka-config';
import { BROKER_CONFIG_DEFS } from './broker-defs';

function tmpFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runnel-config-'));
  const file = path.join(dir, 'server.properties');
  fs.writeFileSync(file, text);
  return file;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('KafkaConfig.load', () => {
  it('gives a working single-node default (npm start)', () => {
    const c = KafkaConfig.load({ argv: [], env: {}, cwd: '/srv/runnel' });
    expect(c.nodeId).toBe(1);
    expect(c.roles).toEqual(['broker', 'controller']);
    expect(c.brokerListeners()).toEqual([{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092, securityProtocol: 'PLAINTEXT' }]);
    expect(c.controllerListener()).toEqual({ name: 'CONTROLLER', host: '127.0.0.1', port: 9093, securityProtocol: 'PLAINTEXT' });
    expect(c.quorumVoters()).toEqual([{ nodeId: 1, host: '127.0.0.1', port: 9093 }]);
    expect(c.logDirs()).toEqual(['/srv/runnel/data']);
    expect(c.getInt('num.partitions')).toBe(1);
    expect(c.getBoolean('auto.create.topics.enable')).toBe(true);
    expect(c.getInt('message.max.bytes')).toBe(1048588);
    expect(c.getInt('metrics.port')).toBe(9404);
    expect(c.getInt('controller.metrics.port')).toBe(9405);
    expect(c.getString('metrics.host')).toBe('127.0.0.1');
    expect(c.logRetentionMs()).toBe(7 * 24 * 3600 * 1000);
    expect(c.isSet('num.partitions')).toBe(false);
    expect(c.warnings).toEqual([]);
  });

  it('reads a properties file, then KAFKA_* env vars, then --override (last wins)', () => {
    const file = tmpFile('num.partitions=3\nlog.retention.ms=1000\nmessage.max.bytes=2000\n');
    const c = KafkaConfig.load({
      argv: [file, '--override', 'message.max.bytes=3000', '--override=log.segment.bytes=4096'],
      env: { KAFKA_NUM_PARTITIONS: '5', KAFKA_LOG_RETENTION_MS: '2000', KAFKA_HEAP_OPTS: '-Xmx1G', PATH: '/bin' },
    });
    expect(c.getInt('num.partitions')).toBe(5);
    expect(c.getLong('log.retention.ms')).toBe(2000);
    expect(c.getInt('message.max.bytes')).toBe(3000);
    expect(c.getInt('log.segment.bytes')).toBe(4096);
    expect(c.entry('num.partitions')?.origin).toBe('KAFKA_NUM_PARTITIONS');
    expect(c.entry('message.max.bytes')?.source).toBe('override');
    expect(c.configFile).toBe(file);
    expect(c.originals()).toMatchObject({ 'num.partitions': '5', 'message.max.bytes': '3000' });
  });

  it('accepts --config FILE', () => {
    const file = tmpFile('node.id=7\ncontroller.quorum.voters=7@127.0.0.1:9093\n');
    expect(KafkaConfig.load({ argv: ['--config', file] }).nodeId).toBe(7);
  });

  it('supports the issue\'s npm start example: listeners and log.dirs overrides alone', () => {
    const c = KafkaConfig.load({
      argv: ['--override', 'listeners=PLAINTEXT://127.0.0.1:19501,CONTROLLER://127.0.0.1:19502', '--override', 'log.dirs=/tmp/x,/tmp/y'],
    });
    expect(c.advertisedListeners()).toEqual([{ name: 'PLAINTEXT', host: '127.0.0.1', port: 19501, securityProtocol: 'PLAINTEXT' }]);
    expect(c.quorumVoters()).toEqual([{ nodeId: 1, host: '127.0.0.1', port: 19502 }]);
    expect(c.logDirs()).toEqual(['/tmp/x', '/tmp/y']);
    expect(c.metadataLogDir()).toBe('/tmp/x');
  });

  it('names the key and the source in errors for invalid values', () => {
    const e1 = errorOf(() => KafkaConfig.load({ argv: ['--override', 'num.partitions=abc'] }));
    expect(e1.key).toBe('num.partitions');
    expect(e1.message).toBe('Invalid value abc for configuration num.partitions (from --override num.partitions): Not a number of type INT');

    const e2 = errorOf(() => KafkaConfig.load({ env: { KAFKA_NUM_PARTITIONS: '0' } }));
    expect(e2.message).toMatch(/num.partitions \(from KAFKA_NUM_PARTITIONS\): Value must be at least 1/);

    const file = tmpFile('# c\nauto.create.topics.enable=yes\n');
    const e3 = errorOf(() => KafkaConfig.load({ argv: [file] }));
    expect(e3.message).toMatch(/auto.create.topics.enable \(from server.properties:2\): Expected value to be either true or false/);

    const e4 = errorOf(() => KafkaConfig.load({ argv: ['--override', 'message.max.bytes=99999999999'] }));
    expect(e4.key).toBe('message.max.bytes');

    const e5 = errorOf(() => KafkaConfig.load({ argv: ['--override', 'log.message.timestamp.type=Foo'] }));
    expect(e5.message).toMatch(/String must be one of: CreateTime, LogAppendTime/);

    const e6 = errorOf(() => KafkaConfig.load({ argv: ['--override', 'process.roles=broker,zookeeper'] }));
    expect(e6.key).toBe('process.roles');

    const e7 = errorOf(() => KafkaConfig.load({ argv: ['--override', 'listeners=localhost:9092'] }));
    expect(e7.key).toBe('listeners');

    const e8 = errorOf(() => KafkaConfig.load({ argv: ['--override', 'log.dirs='] }));
    expect(e8.key).toBe('log.dirs');
  });

  it('rejects malformed arguments', () => {
    expect(() => KafkaConfig.load({ argv: ['--override', 'novalue'] })).toThrow(/expected key=value/);
    expect(() => KafkaConfig.load({ argv: ['--override'] })).toThrow(/needs a key=value/);
    expect(() => KafkaConfig.load({ argv: ['--bogus'] })).toThrow(/Unknown argument --bogus/);
    expect(() => KafkaConfig.load({ argv: ['/nonexistent/server.properties'] })).toThrow(/Cannot read config file/);
    expect(() => KafkaConfig.load({ argv: ['a.properties', 'b.properties'] })).toThrow(/Only one config file/);
    const c = KafkaConfig.load({ argv: ['--bogus', 'x', '--flag'], allowUnknownArgs: true });
    expect(c.extraArgs).toEqual(['--bogus', 'x', '--flag']);
  });

  it('warns about unknown keys without failing', () => {
    const c = KafkaConfig.load({ argv: ['--override', 'num.partitons=3'] });
    expect(c.warnings).toEqual([expect.stringContaining("'num.partitons'")]);
    expect(c.getInt('num.partitions')).toBe(1);
  });

  it('checks roles against listeners and the quorum', () => {
    expect(
      errorOf(() => KafkaConfig.load({ argv: ['--override', 'listeners=PLAINTEXT://127.0.0.1:9092'] })).key,
    ).toBe('controller.listener.names');
    expect(
      errorOf(() => KafkaConfig.load({ argv: ['--override', 'process.roles=broker', '--override', 'listeners=PLAINTEXT://127.0.0.1:9092'] })).key,
    ).toBe('controller.quorum.voters');
    expect(
      errorOf(() => KafkaConfig.load({ argv: ['--override', 'controller.quorum.voters=2@127.0.0.1:9093'] })).message,
    ).toMatch(/node.id 1 is not among the voters/);
    expect(
      errorOf(() => KafkaConfig.load({ argv: ['--override', 'listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9092'] })).message,
    ).toMatch(/same port 9092/);
    expect(errorOf(() => KafkaConfig.load({ argv: ['--override', 'broker.id=2'] })).key).toBe('broker.id');
    expect(errorOf(() => KafkaConfig.load({ argv: ['--override', 'controller.metrics.port=9404'] })).key).toBe('controller.metrics.port');
    // A broker-only node with a quorum is fine, and a controller-only node needs no broker listener.
    const broker = KafkaConfig.load({
      argv: ['--override', 'process.roles=broker', '--override', 'node.id=2', '--override', 'listeners=PLAINTEXT://127.0.0.1:9094', '--override', 'controller.quorum.voters=1@127.0.0.1:9093'],
    });
    expect(broker.isController).toBe(false);
    expect(broker.quorumVoters()).toEqual([{ nodeId: 1, host: '127.0.0.1', port: 9093 }]);
    const controller = KafkaConfig.load({ argv: ['--override', 'process.roles=controller', '--override', 'listeners=CONTROLLER://127.0.0.1:9093'] });
    expect(controller.isBroker).toBe(false);
  });

  it('resolves advertised listeners, excluding the controller listener and replacing wildcard hosts', () => {
    const c = KafkaConfig.fromProps({
      listeners: 'PLAINTEXT://:9092,CONTROLLER://127.0.0.1:9093',
      'advertised.listeners': 'PLAINTEXT://broker.example:19092',
    });
    expect(c.advertisedListeners()).toEqual([{ name: 'PLAINTEXT', host: 'broker.example', port: 19092, securityProtocol: 'PLAINTEXT' }]);
    const w = KafkaConfig.fromProps({ listeners: 'PLAINTEXT://0.0.0.0:9092,CONTROLLER://127.0.0.1:9093' });
    expect(w.advertisedListeners()[0].host).toBe(os.hostname());
    expect(() => KafkaConfig.fromProps({ 'advertised.listeners': 'OTHER://x:1' })).toThrow(ConfigError);
  });

  it('has typed getters that fail clearly on missing values', () => {
    const c = KafkaConfig.fromProps({});
    expect(c.getOptionalString('advertised.listeners')).toBeNull();
    expect(() => c.getString('advertised.listeners')).toThrow(/advertised.listeners has no value/);
    expect(c.getOptionalNumber('log.retention.ms')).toBeNull();
    expect(c.getList('log.dirs')).toEqual([]);
    expect(c.getDouble('log.cleaner.min.cleanable.ratio')).toBe(0.5);
    expect(() => c.get('no.such.key')).toThrow(/Unknown configuration "no.such.key"/);
    expect(c.getLong('log.flush.interval.messages')).toBe(Number.MAX_SAFE_INTEGER);
    expect(c.entry('log.flush.interval.messages')?.text).toBe('9223372036854775807');
  });

  it('derives retention and roll times with Kafka\'s precedence', () => {
    expect(KafkaConfig.fromProps({ 'log.retention.hours': '1' }).logRetentionMs()).toBe(3600000);
    expect(KafkaConfig.fromProps({ 'log.retention.hours': '1', 'log.retention.minutes': '2' }).logRetentionMs()).toBe(120000);
    expect(KafkaConfig.fromProps({ 'log.retention.minutes': '2', 'log.retention.ms': '5' }).logRetentionMs()).toBe(5);
    expect(KafkaConfig.fromProps({ 'log.retention.hours': '-1' }).logRetentionMs()).toBe(-1);
    expect(KafkaConfig.fromProps({ 'log.roll.hours': '2' }).logRollMs()).toBe(7200000);
  });

  it('withOverrides keeps explicit values and revalidates', () => {
    const c = KafkaConfig.fromProps({ 'num.partitions': 4 });
    const d = c.withOverrides({ 'node.id': 3, 'controller.quorum.voters': '3@127.0.0.1:9093' });
    expect(d.getInt('num.partitions')).toBe(4);
    expect(d.nodeId).toBe(3);
    expect(() => c.withOverrides({ 'num.partitions': -1 })).toThrow(/num.partitions/);
  });

  it('maps env names to keys and back (Kafka docker rules)', () => {
    expect(keyForEnvName('KAFKA_LOG_DIRS')).toBe('log.dirs');
    expect(envNameForKey('log.dirs')).toBe('KAFKA_LOG_DIRS');
    expect(keyForEnvName('KAFKA_A__B___C_D')).toBe('a_b-c.d');
    expect(envNameForKey('a_b-c.d')).toBe('KAFKA_A__B___C_D');
    expect(keyForEnvName('KAFKAJS_NO_PARTITIONER_WARNING')).toBeUndefined();
  });

  it('documents every key', () => {
    for (const d of BROKER_CONFIG_DEFS) {
      expect(d.doc.length).toBeGreaterThan(5);
    }
    expect(new Set(BROKER_CONFIG_DEFS.map((d) => d.name)).size).toBe(BROKER_CONFIG_DEFS.length);
  });
});

describe('custom listener names', () => {
  const argv = (map: string) => [
    ...['node.id=1', 'process.roles=broker', 'controller.quorum.voters=1@127.0.0.1:9093', 'inter.broker.listener.name=REPLICATION'],
    'listeners=PLAINTEXT://127.0.0.1:9092,REPLICATION://127.0.0.1:9100',
    'advertised.listeners=PLAINTEXT://127.0.0.1:9092,REPLICATION://10.0.0.5:9100',
    `listener.security.protocol.map=${map}`,
  ].flatMap((kv) => ['--override', kv]);

  it('takes a listener name the protocol map defines, whatever order the keys come in', () => {
    const c = KafkaConfig.load({ argv: argv('PLAINTEXT:PLAINTEXT,REPLICATION:PLAINTEXT,CONTROLLER:PLAINTEXT'), env: {} });
    expect(c.interBrokerListenerName()).toBe('REPLICATION');
    expect(c.advertisedListeners().find((l) => l.name === 'REPLICATION')).toMatchObject({ host: '10.0.0.5', port: 9100, securityProtocol: 'PLAINTEXT' });
  });

  it('refuses a listener name the protocol map leaves out', () => {
    expect(() => KafkaConfig.load({ argv: argv('PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT'), env: {} })).toThrow(/No security protocol defined for listener REPLICATION/);
  });
});
