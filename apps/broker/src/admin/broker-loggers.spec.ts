import { BrokerLoggers, knownLoggers } from './broker-loggers';

describe('BrokerLoggers', () => {
  it('lists root and the broker component loggers', () => {
    expect(knownLoggers(3)).toEqual(expect.arrayContaining(['root', 'broker-3', 'broker-3.net', 'broker-3.replicas']));
  });

  it('applies levels to the broker loggers (root = every component) and inherits from parents', () => {
    const applied: Array<[string, string | null]> = [];
    const l = new BrokerLoggers(1, (prefix, level) => applied.push([prefix, level]), 'INFO');
    l.set('broker-1', 'WARN');
    expect(l.level('broker-1.net')).toBe('WARN');
    l.set('broker-1.net', 'TRACE');
    l.set('root', 'ERROR');
    l.unset('broker-1.net');
    expect(applied).toEqual([
      ['broker-1', 'warn'],
      ['broker-1.net', 'debug'],
      ['', 'error'],
      ['broker-1.net', null],
    ]);
    expect(l.level('broker-1.net')).toBe('WARN');
    expect(l.level('root')).toBe('ERROR');
  });

  it('validates logger names and Log4j levels like Kafka', () => {
    const l = new BrokerLoggers(1, () => undefined, 'INFO');
    expect(l.validateSet('nope', 'INFO')?.[0]).toBe(40);
    expect(l.validateSet('broker-1', 'loud')?.[0]).toBe(40);
    expect(l.validateSet('broker-1', 'FATAL')).toBeNull();
    expect(l.validateUnset('root')?.[0]).toBe(42);
    const d = l.describe(['root', 'broker-1.net']);
    expect(d.map((x) => [x.name, x.value, x.configSource])).toEqual([
      ['broker-1.net', 'INFO', 6],
      ['root', 'INFO', 6],
    ]);
  });
});
