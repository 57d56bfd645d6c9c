import autocannon from 'autocannon'
import { Redis } from 'ioredis'
import { hmacKey } from '../tests/helpers/app.js'
import type { RedisServer } from '../tests/helpers/redis.js'
import { createRedisStore } from '../app/store/redis/redis-store.js'
import { startServer, type ServerChild } from './lib/children.js'
import { fluxFor, fluxHeaders, services, sign, type Signed } from './lib/flux.js'
import { drained, fill, pendingFor } from './lib/pending.js'
import { summarize } from './lib/stats.js'
import { receivedByResult } from './lib/redis.js'
import { report, type Round } from './throughput-report.js'

export interface ThroughputOptions {
  rounds: number
  durationS: number
  warmupS: number
  connections: number
  /** Requests per second of the fixed-rate latency round (one connection); 0 skips it. */
  rate: number
}

const cold = services('svc', 1000)
const hot = services('hot', 100)
const finishingShare = 2 / 20
const allTargets = ['bare', 'bare-redis', 'bridge'] as const
type Target = typeof allTargets[number]
// BENCH_TARGETS=bridge drives one target only (e.g. to profile it).
const targets = allTargets.filter(t => process.env.BENCH_TARGETS?.split(',').includes(t) ?? true)

/**
 * The request mix, by position: 17 in 20 report a success for a mapped service with no pending
 * deployment (the common case: Flux reconciles far more often than Keptn deploys), 2 in 20 finish
 * a pending deployment (202, a `.finished` is queued and sent), 1 in 20 is a progress report (not
 * an outcome). Every body is distinct, so de-duplication never short-circuits.
 */
function pool (count: number, tag: string): Signed[] {
  const bodies = new Array<Signed>(count)
  for (let i = 0; i < count; i++) {
    const slot = i % 20
    const event = slot < 17
      ? fluxFor(cold[i % cold.length]!)
      : slot < 19 ? fluxFor(hot[(Math.floor(i / 20) * 2 + slot - 17) % hot.length]!) : fluxFor(cold[i % cold.length]!, { reason: 'Progressing', message: 'Fulfilling prerequisites' })
    event.message += ` [${tag}-${i}]`
    bodies[i] = sign(event)
  }
  return bodies
}

/** Redis CPU (µs) and commands processed so far (commands inside Lua scripts count). */
async function redisStats (client: Redis): Promise<{ cpu: number, commands: number }> {
  const info = await client.info()
  const value = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0)
  return { cpu: (value('used_cpu_user') + value('used_cpu_sys')) * 1e6, commands: value('total_commands_processed') }
}

async function cannon (child: ServerChild, bodies: Signed[], connections: number, durationS: number, rate: number) {
  let next = 0
  const latencies: number[] = []
  const instance = autocannon({
    url: child.url,
    connections,
    duration: durationS,
    ...(rate > 0 ? { overallRate: rate } : {}),
    requests: [{
      method: 'POST',
      path: '/hooks/flux',
      setupRequest: req => {
        const b = bodies[next++ % bodies.length]!
        return { ...req, headers: fluxHeaders(b), body: b.body }
      }
    }]
  })
  // autocannon's own histogram has 1 ms resolution; keep every 2xx latency instead.
  instance.on('response', (_client: unknown, status: number, _bytes: number, time: number) => { if (status < 300) latencies.push(time) })
  const result = await instance
  const s = summarize(latencies)
  return {
    rps: result['2xx'] / result.duration,
    p50: s.p50,
    p99: s.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    finished: result.statusCodeStats['202']?.count ?? 0,
    cycled: next > bodies.length
  }
}

export async function throughput (redis: RedisServer, opts: ThroughputOptions) {
  const prefix = 'bench'
  const bridge = await startServer('bridge', { LOG_LEVEL: 'warn', FLUX_HMAC_KEYS: hmacKey, REDIS_URL: redis.url, KEY_PREFIX: prefix, KEPTN_POLL_INTERVAL: '0' })
  const bare = await startServer('bare', {})
  const bareRedis = await startServer('bare-redis', { REDIS_URL: redis.url })
  const children = { bare, 'bare-redis': bareRedis, bridge }
  const client = new Redis(redis.url)
  const store = createRedisStore(client, prefix)
  let bridgeRps = 4000
  const rounds: Round[] = []
  const run = async (target: Target, round: number, durationS: number, rate = 0) => {
    const child = children[target]
    // Only the bridge de-duplicates: the bare servers may see a body twice.
    const expected = target !== 'bridge' ? 20_000 : (rate || Math.max(bridgeRps, 4000)) * durationS * 2.5
    if (target === 'bridge') {
      const now = Date.now()
      const need = Math.ceil(expected * finishingShare) - (await store.snapshot(0)).pendingCount
      await fill(store, Array.from({ length: Math.max(0, need) }, (_, i) => pendingFor(hot[i % hot.length]!, now)), now)
      await drained(store)
    }
    const bodies = pool(Math.ceil(expected), `${target}-${round}-${rate}-${Date.now()}`)
    const before = { server: await child.cpu(), redis: await redisStats(client), loadgen: process.cpuUsage() }
    // The fixed-rate round uses one connection: the latency of a request, without queueing behind others.
    const r = await cannon(child, bodies, rate > 0 ? 1 : opts.connections, durationS, rate)
    const loadgen = process.cpuUsage(before.loadgen)
    const after = await redisStats(client)
    const handled = r.ok + r.non2xx
    // CPU per request does not depend on who else shares the cores: it backs the throughput ratio.
    const cpu = {
      server: (await child.cpu() - before.server) / handled,
      redis: target !== 'bare' ? (after.cpu - before.redis.cpu) / handled : 0,
      loadgen: (loadgen.user + loadgen.system) / handled
    }
    const redisCommands = (after.commands - before.redis.commands - 1) / handled
    if (target !== 'bridge') r.cycled = false
    else if (rate === 0) bridgeRps = r.rps
    if (round >= 0) rounds.push({ target, round, rate, ...r, cpu, redisCommands })
  }
  try {
    for (const target of targets) await run(target, -1, opts.warmupS)
    for (let round = 0; round < opts.rounds; round++) {
      // Each round starts with a different target, so drift (heat, neighbours) hits all alike.
      for (let k = 0; k < targets.length; k++) await run(targets[(round + k) % targets.length]!, round, opts.durationS)
    }
    if (opts.rate > 0) for (const target of targets) await run(target, opts.rounds, opts.durationS, opts.rate)
    const metrics = await (await fetch(`${bridge.url}/metrics`)).text()
    return report(rounds, receivedByResult(metrics), opts)
  } finally {
    await store.close()
    await Promise.all([bridge.stop(), bare.stop(), bareRedis.stop()])
  }
}
