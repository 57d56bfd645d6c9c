const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Parses `500ms`, `10s`, `15m`, `1h`, `7d` or `0` into milliseconds; undefined when malformed. */
export function parseDuration (text: string): number | undefined {
  if (text === '0') return 0
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text)
  if (!match) return undefined
  return Math.round(Number(match[1]) * units[match[2]!]!)
}

export function formatDurationShort (ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= units[unit]! && ms % units[unit]! === 0) return `${ms / units[unit]!}${unit}`
  }
  return `${ms}ms`
}
