import { Redis } from 'ioredis'
import { createRedisStore } from '../app/store/redis/redis-store.js'
import type { TriggeredDeployment } from '../app/core/types.js'
import type { FinishedResult } from '../app/core/types.js'
import { percentile, fmt } from './servers.js'

// Time to accept a result and enqueue its .finished (one Lua script) as pending work grows:
// most services have one or two pending deployments, a few hot ones have 50.

const hot = 5
const perHot = 50
const samples = 400
const finished: FinishedResult = { status: 'succeeded', result: 'pass', message: 'bench', deploymentNames: ['x'], source: 'flux', finishedAt: 0 }

function pendingAt (i: number): TriggeredDeployment {
  const service = i < hot * perHot ? `hot${i % hot}` : `svc${Math.floor(i / 2)}`
  return { project: 'bench', stage: 'prod', service, triggeredId: `t${i}`, keptnContext: `c${i}`, version: `1.0.${i}`, receivedAt: i, deadline: Date.now() + 3_600_000 }
}

async function usedMemory (redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1])
}

export async function scale (redisUrl: string): Promise<string[]> {
  const redis = new Redis(redisUrl)
  const lines = ['Correlation at scale: Redis store, resolve() of one result (dedupe + claim + enqueue .finished)',
    '| pending | p50 ms | p99 ms | Redis bytes per pending |', '|---|---|---|---|']
  const p50s: number[] = []
  try {
    for (const size of [100, 10_000, 100_000]) {
      await redis.flushdb()
      const before = await usedMemory(redis)
      const store = createRedisStore(redis.duplicate(), `bench${size}`)
      for (let start = 0; start < size; start += 2000) {
        await Promise.all(Array.from({ length: Math.min(2000, size - start) }, (_, k) => store.addTriggered(pendingAt(start + k), 3_600_000, Date.now())))
      }
      const perPending = (await usedMemory(redis) - before) / size
      const timings: number[] = []
      for (let s = 0; s < samples; s++) {
        // Half on hot services with 50 pending (version matched among them), half on cold ones.
        const target = s % 2 === 0 ? pendingAt(Math.floor(s / 2) % (hot * perHot)) : pendingAt(hot * perHot + Math.floor((s * 7919) % Math.max(1, size - hot * perHot)))
        const started = process.hrtime.bigint()
        await store.resolve({ key: target, deliveryId: `d${size}-${s}`, versions: [target.version!], finished, dedupeTtlMs: 600_000, now: Date.now() })
        timings.push(Number(process.hrtime.bigint() - started) / 1e6)
      }
      await store.close()
      timings.sort((a, b) => a - b)
      p50s.push(percentile(timings, 50))
      lines.push(`| ${size.toLocaleString('en')} | ${fmt(percentile(timings, 50), 3)} | ${fmt(percentile(timings, 99), 3)} | ${fmt(perPending, 0)} |`)
    }
    lines.push(`p50 ratio 100,000 / 100 pending: ${fmt(p50s[2]! / p50s[0]!)} (goal ≤ 1.5)`)
    return lines
  } finally {
    await redis.flushdb()
    redis.disconnect()
  }
}
