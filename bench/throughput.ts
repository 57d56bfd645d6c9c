import autocannon from 'autocannon'
import { Redis } from 'ioredis'
import { hmacKey } from '../tests/helpers/app.js'
import type { RedisServer } from '../tests/helpers/redis.js'
import { createRedisStore } from '../app/store/redis/redis-store.js'
import { startServer, type ServerChild } from './lib/children.js'
import { fluxFor, fluxHeaders, services, sign, type Signed } from './lib/flux.js'
import { drained, fill, pendingFor } from './lib/pending.js'
import { median, ms, summarize, table } from './lib/stats.js'

export interface ThroughputOptions { rounds: number, durationS: number, warmupS: number, connections: number }

const cold = services('svc', 1000)
const hot = services('hot', 100)
const finishingShare = 2 / 20

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

interface Round { target: string, round: number, rps: number, p50: number, p99: number, ok: number, non2xx: number, errors: number, finished: number, cycled: boolean }

async function cannon (child: ServerChild, bodies: Signed[], connections: number, durationS: number) {
  let next = 0
  const latencies: number[] = []
  const instance = autocannon({
    url: child.url,
    connections,
    duration: durationS,
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

function receivedByResult (metrics: string): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const m of metrics.matchAll(/^kgb_events_received_total\{[^}]*result="([^"]+)"[^}]*\} (\d+)/gm)) {
    counts[m[1]!] = (counts[m[1]!] ?? 0) + Number(m[2])
  }
  return counts
}

export async function throughput (redis: RedisServer, opts: ThroughputOptions) {
  const prefix = 'bench'
  const bridge = await startServer('bridge', { LOG_LEVEL: 'warn', FLUX_HMAC_KEYS: hmacKey, REDIS_URL: redis.url, KEY_PREFIX: prefix, KEPTN_POLL_INTERVAL: '0' })
  const bare = await startServer('bare', {})
  const store = createRedisStore(new Redis(redis.url), prefix)
  const estimate: Record<string, number> = { bridge: 10_000 }
  const rounds: Round[] = []
  try {
    const run = async (target: 'bare' | 'bridge', round: number, durationS: number) => {
      const child = target === 'bare' ? bare : bridge
      // Only the bridge de-duplicates: the bare server may see a body twice.
      const expected = target === 'bare' ? 20_000 : Math.max(estimate[target]!, 2000) * durationS * 2
      if (target === 'bridge') {
        const now = Date.now()
        const need = Math.ceil(expected * finishingShare) - (await store.snapshot(0)).pendingCount
        await fill(store, Array.from({ length: Math.max(0, need) }, (_, i) => pendingFor(hot[i % hot.length]!, now)), now)
        await drained(store)
      }
      const bodies = pool(Math.ceil(expected), `${target}-${round}-${Date.now()}`)
      const r = await cannon(child, bodies, opts.connections, durationS)
      if (target === 'bare') r.cycled = false
      estimate[target] = r.rps
      if (round >= 0) rounds.push({ target, round, ...r })
      return r
    }
    await run('bare', -1, opts.warmupS)
    await run('bridge', -1, opts.warmupS)
    for (let round = 0; round < opts.rounds; round++) {
      const order = round % 2 === 0 ? ['bare', 'bridge'] as const : ['bridge', 'bare'] as const
      for (const target of order) await run(target, round, opts.durationS)
    }
    const metrics = await (await fetch(`${bridge.url}/metrics`)).text()
    return summary(rounds, receivedByResult(metrics), opts)
  } finally {
    await store.close()
    await Promise.all([bridge.stop(), bare.stop()])
  }
}

function summary (rounds: Round[], received: Record<string, number>, opts: ThroughputOptions) {
  const of = (target: string) => rounds.filter(r => r.target === target)
  const med = (target: string, key: 'rps' | 'p50' | 'p99') => median(of(target).map(r => r[key]))
  const ratios = of('bridge').map(b => b.rps / of('bare').find(r => r.round === b.round)!.rps)
  const result = {
    options: opts,
    rounds,
    bare: { rps: med('bare', 'rps'), p50: med('bare', 'p50'), p99: med('bare', 'p99') },
    bridge: { rps: med('bridge', 'rps'), p50: med('bridge', 'p50'), p99: med('bridge', 'p99') },
    ratio: median(ratios),
    roundRatios: ratios,
    received
  }
  const rows = rounds.map(r => [r.target, r.round + 1, r.rps.toFixed(0), ms(r.p50), ms(r.p99), r.ok, r.non2xx + r.errors, r.finished, r.cycled ? 'CYCLED' : ''])
  console.log(table([['target', 'round', 'req/s', 'p50', 'p99', '2xx', 'other', '202', ''], ...rows]))
  console.log(`bridge/bare throughput: ${(result.ratio * 100).toFixed(1)}% (median of per-round ratios ${ratios.map(r => r.toFixed(2)).join(', ')}; goal >= 70%)`)
  console.log(`p99: bridge ${ms(result.bridge.p99)} vs bare ${ms(result.bare.p99)}: +${ms(result.bridge.p99 - result.bare.p99)} (goal <= +2 ms)`)
  console.log(`bridge outcomes (metrics): ${JSON.stringify(received)}`)
  return result
}
