import { request } from 'undici'
import { Redis } from 'ioredis'
import { hmacKey } from '../tests/helpers/app.js'
import { startRedisServer } from '../tests/helpers/redis.js'
import { startServer, type ServerChild } from './lib/children.js'
import { allowedStatuses, bodyLimits, fuzzCase, type FuzzCase, type FuzzOptions } from './fuzz-cases.js'
import { mb, slope } from './lib/stats.js'
import { stopRedis } from './lib/redis.js'
import { env } from './lib/env.js'

// `npm run bench:fuzz`: thousands of hostile requests over HTTP to a real bridge process with
// Redis. Findings: a status outside 200/202/400/401/413/415, a request that crashes or blocks the
// bridge (slow, or no answer within FUZZ_TIMEOUT_MS), heap growth. Replay one case with FUZZ_SEED,
// FUZZ_FROM=<i> and FUZZ_CASES=<i+1>.
const count = env('FUZZ_CASES', 10_000)
const from = env('FUZZ_FROM', 0)
const concurrency = env('FUZZ_CONCURRENCY', 4)
const timeoutMs = env('FUZZ_TIMEOUT_MS', 10_000)
const slowMs = env('FUZZ_SLOW_MS', 2_000)
const maxRestarts = 10
const argocdToken = 'argocd-fuzz-token-0123456789'
const options: FuzzOptions = { seed: env('FUZZ_SEED', 1), key: hmacKey, maxString: 1024 * 1024, maxBody: 3 * 1024 * 1024, overLimitEvery: 250, now: Date.now(), argocdToken }
// Bounds at the end: a sender must not be able to grow Redis or /metrics with what it chooses.
const maxRedisMb = env('FUZZ_MAX_REDIS_MB', 64)
const maxMetricsKb = env('FUZZ_MAX_METRICS_KB', 256)

// What the bridge logged at error level, grouped: the causes behind the findings.
const errors = new Map<string, number>()
const onLine = (line: string) => {
  if (!line.includes('"level":50') && !line.includes('"level":60')) return
  const cause = /"message":"([^"]{0,120})/.exec(line)?.[1] ?? line.slice(0, 120)
  errors.set(cause, (errors.get(cause) ?? 0) + 1)
}
const redis = await startRedisServer()
const start = () => startServer('bridge', { LOG_LEVEL: 'warn', FLUX_HMAC_KEYS: hmacKey, ARGOCD_WEBHOOK_TOKEN: argocdToken, REDIS_URL: redis.url, KEY_PREFIX: 'fuzz', KEPTN_POLL_INTERVAL: '0' }, ['--expose-gc'], onLine)
let bridge: ServerChild = await start()
let restarts = 0
let restarting: Promise<void> | undefined
const gaveUp = () => restarts > maxRestarts
const blocking: string[] = []
const wrongStatus: string[] = []
const seen: Record<string, number> = {}
const heap: Array<[number, number]> = []
const inFlight = new Set<number>()
// Cases in flight when the bridge stopped answering: replayed alone at the end to find the culprit.
const suspects = new Set<number>()
const startedAt = Date.now()
let next = from
let done = 0

async function send (c: FuzzCase): Promise<{ status?: number, error?: string, took: number }> {
  const t0 = performance.now()
  try {
    const res = await request(bridge.url + c.url, { method: 'POST', headers: c.headers, body: c.body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
    await res.body.dump()
    return { status: res.statusCode, took: performance.now() - t0 }
  } catch (err) {
    const error = (err as Error).message
    // Over the limit, the bridge answers 413 and closes while the body is still being written.
    if (c.body.length > bodyLimits[c.url] && /EPIPE|ECONNRESET|other side closed/.test(error) && bridge.alive()) return { status: 413, took: performance.now() - t0 }
    return { error, took: performance.now() - t0 }
  }
}

function check (c: FuzzCase, status: number, took: number): void {
  seen[status] = (seen[status] ?? 0) + 1
  const ok = c.expect ? status === c.expect : allowedStatuses.has(status)
  if (!ok) wrongStatus.push(`case ${c.index} (${c.label}) ${c.url}: ${status}`)
  if (took > slowMs) blocking.push(`case ${c.index} (${c.label}) ${c.url}: ${status} after ${took.toFixed(0)} ms, ${c.body.length} bytes`)
}

async function restart (): Promise<void> {
  restarting ??= (async () => {
    restarts++
    await bridge.stop(1000)
    bridge = await start()
  })().finally(() => { restarting = undefined })
  await restarting
}

// Heap samples are taken with nothing in flight, so a megabyte body being parsed is not counted.
let pause: Promise<void> | undefined
async function sampleHeap (): Promise<void> {
  let release = () => {}
  pause = new Promise(resolve => { release = resolve })
  while (inFlight.size > 0) await new Promise(resolve => setTimeout(resolve, 5))
  heap.push([done, mb((await bridge.memory(true)).heapUsed)])
  pause = undefined
  release()
  console.log(`${done} cases, ${((Date.now() - startedAt) / 1000).toFixed(0)} s, heap ${heap[heap.length - 1]![1].toFixed(1)} MB`)
}

async function one (i: number): Promise<void> {
  await restarting
  await pause
  const c = fuzzCase(i, options)
  inFlight.add(i)
  const r = await send(c)
  inFlight.delete(i)
  if (r.status !== undefined) return check(c, r.status, r.took)
  suspects.add(i)
  if (!restarting) for (const other of inFlight) suspects.add(other)
  await restart()
}

await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < count && !gaveUp()) {
    await one(next++)
    if (++done % 1000 === 0) await sampleHeap()
  }
}))
if (gaveUp()) blocking.push(`stopped after ${restarts} restarts, at case ${next}`)
for (const i of [...suspects].sort((a, b) => a - b)) {
  const c = fuzzCase(i, options)
  const r = await send(c)
  if (r.status !== undefined) {
    check(c, r.status, r.took)
    continue
  }
  blocking.push(`case ${i} (${c.label}) ${c.url}: ${bridge.alive() ? 'no answer' : 'crashed the bridge'} (${r.error}) after ${r.took.toFixed(0)} ms alone, ${c.body.length} bytes`)
  await restart()
}
const health = await request(`${bridge.url}/healthz`).then(async r => { await r.body.dump(); return r.statusCode }, () => 0)
if (health !== 200) blocking.push(`/healthz answered ${health} at the end`)
const metricsBytes = await request(`${bridge.url}/metrics`).then(async r => Buffer.byteLength(await r.body.text()), () => 0)
if (metricsBytes > maxMetricsKb * 1024) blocking.push(`/metrics is ${(metricsBytes / 1024).toFixed(0)} KB at the end, over ${maxMetricsKb} KB: sender-chosen label values?`)
const redisClient = new Redis(redis.url)
const usedMb = Number(/used_memory:(\d+)/.exec(await redisClient.info('memory'))?.[1] ?? 0) / 1024 / 1024
await redisClient.quit()
if (usedMb > maxRedisMb) blocking.push(`Redis holds ${usedMb.toFixed(1)} MB at the end, over ${maxRedisMb} MB: unbounded storage of sender data?`)
console.log(`at the end: /metrics ${(metricsBytes / 1024).toFixed(1)} KB, Redis ${usedMb.toFixed(1)} MB`)
await bridge.stop()
await stopRedis(redis)

const settled = heap.filter(([n]) => n > done / 5)
console.log(`\n${done} cases (seed ${options.seed}) in ${((Date.now() - startedAt) / 1000).toFixed(0)} s, ${restarts} restarts; answers ${JSON.stringify(seen)}`)
console.log(`heap after GC: ${heap.map(([, h]) => h.toFixed(1)).join(' ')} MB; slope after the first 20%: ${(slope(settled) * 10_000).toFixed(2)} MB per 10,000 cases`)
// A poisoned store answers 500 to everything after the cause: the first few are shown.
if (blocking.length) console.log(`slow, blocking or crashing:\n${blocking.join('\n')}`)
if (wrongStatus.length) console.log(`${wrongStatus.length} unexpected statuses, the first ones:\n${wrongStatus.slice(0, 10).join('\n')}`)
if (errors.size) console.log(`errors the bridge logged:\n${[...errors].map(([cause, n]) => `${n} x ${cause}`).join('\n')}`)
if (!blocking.length && !wrongStatus.length) console.log('no findings')
process.exitCode = blocking.length || wrongStatus.length ? 1 : 0
