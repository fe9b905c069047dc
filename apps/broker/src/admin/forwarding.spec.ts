import { Err } from './constants';
import { duplicates, forwardBudgetMs, forwardItems } from './forwarding';

interface R {
  name: string;
  errorCode: number;
}

function fakeClock() {
  let t = 1_000;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

describe('forwardItems', () => {
  const base = { keyOfItem: (s: string) => s, keyOfResult: (r: R) => r.name, errorOf: (r: R) => r.errorCode };

  it('returns the controller results by key', async () => {
    const out = await forwardItems<string, R>({
      ...base,
      items: ['a', 'b'],
      deadline: Date.now() + 1000,
      send: async (items) => items.map((name) => ({ name, errorCode: 0 })),
    });
    expect([...out.results.keys()]).toEqual(['a', 'b']);
    expect(out.unresolved).toEqual([]);
  });

  it('re-sends only NOT_CONTROLLER items until they succeed', async () => {
    const clock = fakeClock();
    const calls: string[][] = [];
    let hints = 0;
    const out = await forwardItems<string, R>({
      ...base,
      ...clock,
      onNotController: () => void hints++,
      items: ['a', 'b'],
      deadline: clock.now() + 5000,
      send: async (items) => {
        calls.push(items);
        return items.map((name) => ({ name, errorCode: name === 'b' && calls.length < 3 ? Err.NOT_CONTROLLER : 0 }));
      },
    });
    expect(calls).toEqual([['a', 'b'], ['b'], ['b']]);
    expect(hints).toBe(2);
    expect(out.results.get('b')?.errorCode).toBe(0);
  });

  it('gives up at the deadline and reports the items unresolved', async () => {
    const clock = fakeClock();
    const out = await forwardItems<string, R>({
      ...base,
      ...clock,
      items: ['a'],
      deadline: clock.now() + 1000,
      send: async () => {
        throw new Error('connection refused');
      },
    });
    expect(out.results.size).toBe(0);
    expect(out.unresolved).toEqual([{ item: 'a', reason: 'connection refused' }]);
  });

  it('always makes one attempt even past the deadline, and does not retry missing results', async () => {
    let n = 0;
    const out = await forwardItems<string, R>({
      ...base,
      items: ['a', 'b'],
      deadline: 0,
      send: async () => {
        n++;
        return [{ name: 'a', errorCode: 36 }];
      },
    });
    expect(n).toBe(1);
    expect(out.results.get('a')?.errorCode).toBe(36);
    expect(out.unresolved.map((u) => u.item)).toEqual(['b']);
  });

  it('budget has a floor for timeout 0 and a cap', () => {
    expect(forwardBudgetMs(0)).toBe(5000);
    expect(forwardBudgetMs(100)).toBe(1000);
    expect(forwardBudgetMs(30000)).toBe(30000);
    expect(forwardBudgetMs(10_000_000)).toBe(60000);
    expect(forwardBudgetMs(undefined)).toBe(5000);
  });

  it('finds duplicates', () => {
    expect([...duplicates(['a', 'b', 'a', 'a', 'c', 'b'], (x) => x)]).toEqual(['a', 'b']);
  });
});
