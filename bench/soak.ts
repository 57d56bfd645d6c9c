import { Pool } from 'undici'
import { Redis } from 'ioredis'
import { hmacKey } from '../tests/helpers/app.js'
import { startRedisServer } from '../tests/helpers/redis.js'
import { makeTriggered, startKeptnFake } from '../tests/helpers/keptn-fake.js'
import { unmapped } from '../tests/helpers/flux.js'
import { startServer } from './lib/children.js'
import { fluxFor, fluxHeaders, services, sign, type Signed } from './lib/flux.js'
import { prng } from './lib/prng.js'
import { mb, slope, table } from './lib/stats.js'
import { receivedByResult, stopRedis } from './lib/redis.js'
import { env } from './lib/env.js'

// `npm run bench:soak`: mixed traffic at a bounded rate for SOAK_MINUTES (default 10); RSS and
// heap (after a forced GC) sampled every 10 s after a warm-up; least-squares slope in MB/min.
const minutes = env('SOAK_MINUTES', 10)
const rate = env('SOAK_RATE', 100)
const durationMs = minutes * 60_000
const warmupMs = Math.min(60_000, durationMs / 5)
const sampleMs = 10_000

const redis = await startRedisServer()
const fake = await startKeptnFake()
const bridgeEnv = { LOG_LEVEL: 'warn', FLUX_HMAC_KEYS: hmacKey, REDIS_URL: redis.url, KEY_PREFIX: 'soak', KEPTN_API_URL: fake.url, KEPTN_API_TOKEN: fake.token }
// Some pushes never get a Flux outcome: a short deadline makes the reaper part of the soak.
const bridge = await startServer('bridge', { ...bridgeEnv, KEPTN_POLL_INTERVAL: '0', DEPLOYMENT_TIMEOUT: '2m' }, ['--expose-gc'])
const pool = new Pool(bridge.url, { connections: 8 })
const redisClient = new Redis(redis.url)
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redisClient.info('memory'))![1])
const svcs = services('s', 50, 'soak')
const random = prng(env('SOAK_SEED', 1))
const recent: Signed[] = []
const answers: Record<string, number> = {}
const keptn = { received: 0, started: 0, finished: 0, rejected: 0, violations: 0 }
let sent = 0
let skipped = 0
let n = 0

/** The mix: Keptn pushes, Flux successes, failures, progress, Flux retries, unmapped, stale, forged. */
function nextRequest (): { path: string, headers: Record<string, string>, body: string } {
  const svc = random.pick(svcs)
  const roll = random.next()
  const tag = ` [soak-${n++}]`
  if (roll < 0.15) {
    // One push in five is for a service Flux never reports on: the deadline reaper finishes it.
    const target = random.chance(0.2) ? { ...svc, service: `orphan-${random.int(20)}` } : svc
    return { path: '/events/keptn', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(makeTriggered({ ...target })) }
  }
  if (roll < 0.25 && recent.length) {
    const again = random.pick(recent)
    return { path: '/hooks/flux', headers: fluxHeaders(again), body: again.body }
  }
  let event: Record<string, unknown> & { message: string } = fluxFor(svc)
  if (roll < 0.5) event.message += tag
  else if (roll < 0.58) Object.assign(event, { reason: 'UpgradeFailed', severity: 'error', message: `Helm upgrade failed: timed out waiting for the condition${tag}` })
  else if (roll < 0.88) Object.assign(event, { reason: 'Progressing', message: `Fulfilling prerequisites${tag}` })
  else if (roll < 0.93) event = { ...unmapped(fluxFor(svc)), message: `${event.message}${tag}` }
  else if (roll < 0.97) Object.assign(event, { timestamp: new Date(Date.now() - 3_600_000).toISOString(), message: `${event.message}${tag}` })
  else return { path: '/hooks/flux', headers: { 'content-type': 'application/json', 'x-signature': `sha256=${random.hex(64)}` }, body: JSON.stringify(event) }
  const signed = sign(event)
  recent.push(signed)
  if (recent.length > 200) recent.shift()
  return { path: '/hooks/flux', headers: fluxHeaders(signed), body: signed.body }
}

async function send (): Promise<void> {
  const { path, headers, body } = nextRequest()
  try {
    const res = await pool.request({ method: 'POST', path, headers, body })
    await res.body.dump()
    answers[res.statusCode] = (answers[res.statusCode] ?? 0) + 1
  } catch {
    answers.error = (answers.error ?? 0) + 1
  }
}

function drainFake (): void {
  for (const ev of fake.received) {
    keptn.received++
    if (ev.type.endsWith('.started')) keptn.started++
    if (ev.type.endsWith('.finished')) keptn.finished++
  }
  keptn.rejected += fake.rejected.length
  keptn.violations += fake.violations.length
  // The fake keeps everything it saw; the soak only needs the counts.
  fake.received.length = fake.rejected.length = fake.violations.length = fake.requests.length = 0
}

const started = Date.now()
const samples: Array<{ min: number, rss: number, heap: number }> = []
const redisBefore = await usedMemory()
let inFlight = 0

async function settled (): Promise<void> {
  for (;;) {
    if (inFlight === 0) return
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

const perTick = rate / 10
let owed = 0
console.log(`soak: ${minutes} min at ${rate} req/s, warm-up ${warmupMs / 1000} s, sample every ${sampleMs / 1000} s`)
const ticker = setInterval(() => {
  owed += perTick
  while (owed >= 1) {
    owed--
    // Bounded: never more than a second's worth of requests waiting.
    if (inFlight >= rate) { skipped++; continue }
    inFlight++
    sent++
    send().finally(() => { inFlight-- })
  }
}, 100)
let nextSample = started + warmupMs
while (Date.now() - started < durationMs) {
  await new Promise(resolve => setTimeout(resolve, Math.max(0, Math.min(nextSample, started + durationMs) - Date.now())))
  drainFake()
  if (Date.now() >= nextSample && Date.now() - started <= durationMs) {
    const usage = await bridge.memory(true)
    const sample = { min: (Date.now() - started) / 60_000, rss: mb(usage.rss), heap: mb(usage.heapUsed) }
    samples.push(sample)
    console.log(`${sample.min.toFixed(1)} min: rss ${sample.rss.toFixed(1)} MB, heap ${sample.heap.toFixed(1)} MB, ${sent} sent, answers ${JSON.stringify(answers)}`)
    nextSample += sampleMs
  }
}
clearInterval(ticker)
await settled()
drainFake()
const redisAfter = await usedMemory()
const received = receivedByResult(await (await fetch(`${bridge.url}/metrics`)).text())
await pool.close()
await bridge.stop()
await fake.close()
redisClient.disconnect()
await stopRedis(redis)

const rss = slope(samples.map(s => [s.min, s.rss]))
const heap = slope(samples.map(s => [s.min, s.heap]))
console.log(`\n${sent} requests in ${minutes} min (${skipped} skipped: bridge behind), answers ${JSON.stringify(answers)}`)
console.log(`bridge outcomes (metrics): ${JSON.stringify(received)}`)
console.log(`Keptn fake: ${keptn.started} .started, ${keptn.finished} .finished, ${keptn.rejected} rejected, ${keptn.violations} protocol violations`)
console.log(table([['', 'first', 'last', 'slope'],
  ['rss MB', samples[0]?.rss.toFixed(1) ?? '-', samples.at(-1)?.rss.toFixed(1) ?? '-', `${rss.toFixed(3)} MB/min`],
  ['heap MB', samples[0]?.heap.toFixed(1) ?? '-', samples.at(-1)?.heap.toFixed(1) ?? '-', `${heap.toFixed(3)} MB/min`]]))
console.log(`Redis used_memory: +${mb(redisAfter - redisBefore).toFixed(1)} MB (de-duplication markers and seen ids live for their TTL)`)
process.exitCode = (answers.error ?? 0) > 0 || Object.keys(answers).some(s => Number(s) >= 500) || keptn.violations > 0 ? 1 : 0
