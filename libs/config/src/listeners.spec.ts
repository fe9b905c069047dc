import { parseListeners, parseQuorumVoters, parseSecurityProtocolMap } from './listeners';
import { ConfigError } from './errors';

describe('parseListeners', () => {
  it('parses names, hosts, ports and security protocols', () => {
    expect(parseListeners('PLAINTEXT://127.0.0.1:9092, CONTROLLER://localhost:9093')).toEqual([
      { name: 'PLAINTEXT', host: '127.0.0.1', port: 9092, securityProtocol: 'PLAINTEXT' },
      { name: 'CONTROLLER', host: 'localhost', port: 9093, securityProtocol: 'PLAINTEXT' },
    ]);
  });

  it('accepts an empty host, bracketed IPv6 and port 0', () => {
    expect(parseListeners('PLAINTEXT://:0,SSL://[::1]:9094')).toEqual([
      { name: 'PLAINTEXT', host: '', port: 0, securityProtocol: 'PLAINTEXT' },
      { name: 'SSL', host: '::1', port: 9094, securityProtocol: 'SSL' },
    ]);
  });

  it('maps custom listener names through listener.security.protocol.map', () => {
    const l = parseListeners('INTERNAL://h:1,EXTERNAL://h:2', { protocolMap: 'INTERNAL:PLAINTEXT,EXTERNAL:SASL_SSL' });
    expect(l.map((x) => x.securityProtocol)).toEqual(['PLAINTEXT', 'SASL_SSL']);
  });

  it.each([
    ['127.0.0.1:9092', /expected NAME:\/\/host:port/],
    ['PLAINTEXT://127.0.0.1', /expected NAME:\/\/host:port/],
    ['PLAINTEXT://h:70000', /out of range/],
    ['PLAINTEXT://h:1,PLAINTEXT://h:2', /different name/],
    ['FOO://h:1', /No security protocol defined for listener FOO/],
  ])('rejects %s with a message naming listeners', (text, re) => {
    let err: unknown;
    try {
      parseListeners(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe('listeners');
    expect((err as Error).message).toMatch(/configuration listeners/);
    expect((err as Error).message).toMatch(re);
  });

  it('rejects unknown security protocols in the map', () => {
    expect(() => parseSecurityProtocolMap('A:TLS')).toThrow(/Unknown security protocol TLS/);
  });
});

describe('parseQuorumVoters', () => {
  it('parses id@host:port lists', () => {
    expect(parseQuorumVoters('1@127.0.0.1:9093,2@[::1]:9094')).toEqual([
      { nodeId: 1, host: '127.0.0.1', port: 9093 },
      { nodeId: 2, host: '::1', port: 9094 },
    ]);
  });

  it('rejects bad entries and duplicate ids', () => {
    expect(() => parseQuorumVoters('127.0.0.1:9093')).toThrow(/controller.quorum.voters/);
    expect(() => parseQuorumVoters('1@a:1,1@b:2')).toThrow(/appears twice/);
  });
});
