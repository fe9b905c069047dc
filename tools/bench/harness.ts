// Tiny timing helpers shared by the benches: run a function for a fixed wall time, several rounds, report medians.
// Benches print figures only; they never pass or fail.

export interface Measurement {
  /** Median MB/s over the rounds (MB = 10^6 bytes). */
  mbps: number;
  /** MB/s of every round, for a feel of the noise. */
  rounds: number[];
  /** Median microseconds per operation. */
  usPerOp: number;
}

/** Calls `fn` repeatedly for `ms` per round (after a warm-up round); `bytes` is what one call processes. */
export function measure(bytes: number, fn: () => unknown, opts: { ms?: number; rounds?: number } = {}): Measurement {
  const ms = opts.ms ?? 300;
  const roundsN = opts.rounds ?? 5;
  const rounds: number[] = [];
  const perOp: number[] = [];
  for (let r = -1; r < roundsN; r++) {
    let ops = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(ms) * 1_000_000n;
    let now = start;
    do {
      // batch calls between clock reads so the clock costs nothing measurable
      for (let i = 0; i < 4; i++) fn();
      ops += 4;
      now = process.hrtime.bigint();
    } while (now < deadline);
    const ns = Number(now - start);
    if (r >= 0) {
      rounds.push((bytes * ops) / (ns / 1e9) / 1e6);
      perOp.push(ns / ops / 1e3);
    }
  }
  return { mbps: median(rounds), rounds, usPerOp: median(perOp) };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Prints one aligned row: label, MB/s, optional ratio and note. */
export function row(label: string, m: Measurement, extra = ''): void {
  const spread = `${fmt(Math.min(...m.rounds))}-${fmt(Math.max(...m.rounds))}`;
  console.log(
    `  ${label.padEnd(52)} ${fmt(m.mbps).padStart(8)} MB/s  (${spread.padStart(13)})  ${fmt(m.usPerOp, 1).padStart(9)} us/op  ${extra}`,
  );
}

/** One round of `fn` for `ms` milliseconds; returns MB/s. */
function round(bytes: number, fn: () => unknown, ms: number): number {
  let ops = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let now = start;
  do {
    for (let i = 0; i < 4; i++) fn();
    ops += 4;
    now = process.hrtime.bigint();
  } while (now < deadline);
  return (bytes * ops) / (Number(now - start) / 1e9) / 1e6;
}

/**
 * Measures A and B in alternating short rounds and reports the median of the per-pair ratios A/B. On a shared,
 * noisy machine this ratio is far steadier than dividing two separately measured medians.
 */
export function compare(
  a: { bytes: number; fn: () => unknown },
  b: { bytes: number; fn: () => unknown },
  opts: { ms?: number; rounds?: number } = {},
): { a: Measurement; b: Measurement; ratio: number; ratios: number[] } {
  const ms = opts.ms ?? 150;
  const n = opts.rounds ?? 10;
  round(a.bytes, a.fn, ms); // warm-up
  round(b.bytes, b.fn, ms);
  const ra: number[] = [];
  const rb: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = round(a.bytes, a.fn, ms);
    const y = round(b.bytes, b.fn, ms);
    ra.push(x);
    rb.push(y);
    ratios.push(x / y);
  }
  const m = (r: number[], bytes: number): Measurement => ({ mbps: median(r), rounds: r, usPerOp: bytes / median(r) });
  return { a: m(ra, a.bytes), b: m(rb, b.bytes), ratio: median(ratios), ratios };
}
