/** Small helpers the benchmarks share: percentiles and a fixed-width table. */
export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  const idx = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[idx]!;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  perSecond: number;
}

/** Runs `fn` `iterations` times one after another (after a warm-up) and summarises latency. */
export async function measureSequential(iterations: number, warmup: number, fn: () => Promise<unknown>): Promise<LatencySummary> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  const total = performance.now() - started;
  samples.sort((a, b) => a - b);
  return { count: iterations, p50: percentile(samples, 50), p99: percentile(samples, 99), max: samples[samples.length - 1]!, perSecond: (iterations / total) * 1000 };
}

export function printTable(headers: string[], rows: (string | number)[][]): void {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? c.toFixed(2) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  for (const [n, r] of cells.entries()) {
    console.log(r.map((c, i) => String(c).padEnd(widths[i]!)).join('  '));
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}
