import type { RedisServer } from '../../tests/helpers/redis.js'

/** Stops a private redis-server; its process is unref'd, so keep the event loop alive until it is gone. */
export async function stopRedis (redis: RedisServer): Promise<void> {
  const keepAlive = setInterval(() => {}, 1000)
  try {
    await redis.stop()
  } finally {
    clearInterval(keepAlive)
  }
}

/** Counts of `kgb_events_received_total` by result, from a /metrics text. */
export function receivedByResult (metrics: string): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const m of metrics.matchAll(/^kgb_events_received_total\{[^}]*result="([^"]+)"[^}]*\} (\d+)/gm)) {
    counts[m[1]!] = (counts[m[1]!] ?? 0) + Number(m[2])
  }
  return counts
}
