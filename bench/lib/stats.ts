/** The p-th percentile (0–100) of already sorted values, nearest rank. */
export function percentile (sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil((p / 100) * sorted.length) - 1
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!
}

export interface Summary { count: number, p50: number, p99: number, mean: number, max: number }

export function summarize (values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort()
  let sum = 0
  for (const v of sorted) sum += v
  return { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: sum / sorted.length, max: sorted[sorted.length - 1] ?? NaN }
}

export function median (values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50)
}

/** Least-squares slope of y over x. */
export function slope (points: Array<[number, number]>): number {
  const n = points.length
  if (n < 2) return NaN
  const mx = points.reduce((s, [x]) => s + x, 0) / n
  const my = points.reduce((s, [, y]) => s + y, 0) / n
  let num = 0
  let den = 0
  for (const [x, y] of points) {
    num += (x - mx) * (y - my)
    den += (x - mx) ** 2
  }
  return num / den
}

export const ms = (v: number) => `${v.toFixed(2)} ms`
export const mb = (bytes: number) => bytes / 1024 / 1024

/** A fixed-width text table: the first row is the header. */
export function table (rows: Array<Array<string | number>>): string {
  const cells = rows.map(r => r.map(String))
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map(r => r[i]?.length ?? 0)))
  return cells.map(r => r.map((c, i) => i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)).join('  ')).join('\n')
}
