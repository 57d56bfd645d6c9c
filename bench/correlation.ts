import { Redis } from 'ioredis'
import type { RedisServer } from '../tests/helpers/redis.js'
import { createRedisStore } from '../app/store/redis/redis-store.js'
import { keyBuilder, shardCount } from '../app/store/redis/keys.js'
import type { ResolveRequest } from '../app/core/store.js'
import { serviceKeyString } from '../app/core/store.js'
import { services, type ServiceRef } from './lib/flux.js'
import { fill, pendingFor } from './lib/pending.js'
import { prng } from './lib/prng.js'
import { ms, summarize, table, type Summary } from './lib/stats.js'

export interface CorrelationOptions { sizes: number[], samples: number }

const hotPending = 50
const coldPending = 2
const dedupeTtlMs = 17 * 60_000

/** Hot services hold 50 pending deployments each; the rest is spread two per service. */
function layout (size: number) {
  const hot = services('hot', size >= 1000 ? 10 : 1, 'scale', 'prod')
  const cold = services('svc', Math.max(1, Math.round((size - hot.length * hotPending) / coldPending)), 'scale', 'prod')
  return { hot, cold }
}

async function usedMemory (redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1])
}

function request (svc: ServiceRef, version: string, deliveryId: string, now: number): ResolveRequest {
  return {
    key: svc,
    deliveryId,
    versions: [version],
    strictVersions: true,
    finished: { status: 'succeeded', result: 'pass', message: `Successfully deployed ${svc.service} at revision ${version}`, deploymentNames: [svc.service], revision: version, source: 'flux', finishedAt: now },
    dedupeTtlMs,
    retentionMs: dedupeTtlMs,
    now
  }
}

export interface SizeResult { size: number, fillPerSecond: number, bytesPerPending: number, bytesPerPendingWithStarted: number, hot: Summary, cold: Summary, misses: number }

/**
 * Store level: `store.resolve` (one Lua script: de-duplicate, pick the matching pending deployment,
 * claim it, enqueue its `.finished`) against 100 … 100,000 pending deployments. Each finished one
 * is replaced (untimed) so the size holds; the version asked for is a random one of the service's.
 */
async function measureSize (url: string, size: number, samples: number): Promise<SizeResult> {
  const redis = new Redis(url)
  const prefix = 'scale'
  const store = createRedisStore(redis, prefix)
  const random = prng(size)
  let seq = 0
  const versions = new Map<string, string[]>()
  const pending = (svc: ServiceRef, now: number) => {
    const version = `1.0.${seq++}`
    const list = versions.get(serviceKeyString(svc)) ?? []
    list.push(version)
    versions.set(serviceKeyString(svc), list)
    return pendingFor(svc, now, { configurationChange: { values: { image: `ghcr.io/scale/${svc.service}:${version}` } } })
  }
  try {
    await redis.flushall()
    const { hot, cold } = layout(size)
    const before = await usedMemory(redis)
    const now = Date.now()
    const started = performance.now()
    const count = await fill(store, (function * () {
      for (const svc of hot) for (let i = 0; i < hotPending; i++) yield pending(svc, now)
      for (const svc of cold) for (let i = 0; i < coldPending; i++) yield pending(svc, now)
    })(), now)
    const fillPerSecond = count / ((performance.now() - started) / 1000)
    const withStarted = await usedMemory(redis) - before
    // What stays once the bridge has sent the `.started` events.
    const keys = keyBuilder(prefix)
    for (let n = 0; n < shardCount; n++) await redis.del(keys.shard(n).outbox, keys.shard(n).due)
    const atRest = await usedMemory(redis) - before
    const timings = { hot: [] as number[], cold: [] as number[] }
    let misses = 0
    const warmup = Math.min(200, samples)
    for (let i = 0; i < 2 * (samples + warmup); i++) {
      const kind = i % 2 === 0 ? 'hot' : 'cold'
      const svc = random.pick(kind === 'hot' ? hot : cold)
      const list = versions.get(serviceKeyString(svc))!
      const [version] = list.splice(random.int(list.length), 1)
      const at = Date.now()
      const t0 = performance.now()
      const answer = await store.resolve(request(svc, version!, random.hex(64), at))
      const took = performance.now() - t0
      if (answer.status !== 'finished') misses++
      if (i >= 2 * warmup) timings[kind].push(took)
      await store.addTriggered(pending(svc, at), 7 * 24 * 3600_000, at)
    }
    return { size: count, fillPerSecond, bytesPerPending: atRest / count, bytesPerPendingWithStarted: withStarted / count, hot: summarize(timings.hot), cold: summarize(timings.cold), misses }
  } finally {
    await store.close()
  }
}

export async function correlation (redis: RedisServer, opts: CorrelationOptions) {
  const sizes: SizeResult[] = []
  for (const size of opts.sizes) sizes.push(await measureSize(redis.url, size, opts.samples))
  const first = sizes[0]!
  const last = sizes[sizes.length - 1]!
  const ratio = { hotP50: last.hot.p50 / first.hot.p50, hotP99: last.hot.p99 / first.hot.p99, coldP50: last.cold.p50 / first.cold.p50, coldP99: last.cold.p99 / first.cold.p99 }
  console.log(table([
    ['pending', 'hot p50', 'hot p99', 'cold p50', 'cold p99', 'bytes/pending', 'with .started', 'fill/s', 'misses'],
    ...sizes.map(s => [s.size, ms(s.hot.p50), ms(s.hot.p99), ms(s.cold.p50), ms(s.cold.p99), s.bytesPerPending.toFixed(0), s.bytesPerPendingWithStarted.toFixed(0), s.fillPerSecond.toFixed(0), s.misses])
  ]))
  console.log(`${last.size}/${first.size} ratio: hot p50 ${ratio.hotP50.toFixed(2)}x p99 ${ratio.hotP99.toFixed(2)}x, cold p50 ${ratio.coldP50.toFixed(2)}x p99 ${ratio.coldP99.toFixed(2)}x (goal <= 1.5x)`)
  return { options: opts, sizes, ratio }
}
