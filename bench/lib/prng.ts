/** mulberry32: tiny, fast and seeded, so a failing fuzz case can be replayed from its seed. */
export function prng (seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  return {
    next,
    int,
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]): T => items[int(items.length)]!,
    hex: (length: number) => Array.from({ length }, () => int(16).toString(16)).join('')
  }
}

export type Prng = ReturnType<typeof prng>
