import { request } from 'undici'
import { hmacKey } from '../tests/helpers/app.js'
import type { RedisServer } from '../tests/helpers/redis.js'
import { makeTriggered, startKeptnFake, type KeptnFake } from '../tests/helpers/keptn-fake.js'
import { startServer } from './lib/children.js'
import { fluxFor, fluxHeaders, sign } from './lib/flux.js'
import { ms, summarize } from './lib/stats.js'

export interface E2eOptions { count: number }

const svc = { project: 'podtato', stage: 'dev', service: 'helloservice' }
const has = (fake: KeptnFake, type: string, id: string) => fake.received.some(e => e.triggeredid === id && e.type === `sh.keptn.event.deployment.${type}`)

/**
 * From the Flux POST to the strict Keptn fake holding the `.finished`, one deployment at a time,
 * with the delivery worker at its defaults (1 s poll; work queued locally wakes it at once).
 * The `.started` is delivered first, as the bridge never sends a `.finished` before it.
 */
export async function e2eLatency (redis: RedisServer, opts: E2eOptions) {
  const fake = await startKeptnFake()
  const bridge = await startServer('bridge', {
    LOG_LEVEL: 'warn',
    FLUX_HMAC_KEYS: hmacKey,
    REDIS_URL: redis.url,
    KEY_PREFIX: 'e2e',
    KEPTN_API_URL: fake.url,
    KEPTN_API_TOKEN: fake.token,
    KEPTN_POLL_INTERVAL: '0'
  })
  const accept: number[] = []
  const finished: number[] = []
  try {
    const warmup = 20
    for (let i = 0; i < opts.count + warmup; i++) {
      const triggered = makeTriggered(svc)
      fake.addTriggered(triggered)
      const pushed = await request(`${bridge.url}/events/keptn`, { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(triggered) })
      await pushed.body.dump()
      if (pushed.statusCode !== 202) throw new Error(`push answered ${pushed.statusCode}`)
      await fake.waitFor(f => has(f, 'started', triggered.id))
      const event = fluxFor(svc)
      event.message += ` [e2e-${i}]`
      const signed = sign(event)
      const t0 = performance.now()
      const res = await request(`${bridge.url}/hooks/flux`, { method: 'POST', headers: fluxHeaders(signed), body: signed.body })
      await res.body.dump()
      const t1 = performance.now()
      if (res.statusCode !== 202) throw new Error(`flux answered ${res.statusCode}`)
      await fake.waitFor(f => has(f, 'finished', triggered.id))
      if (i >= warmup) {
        accept.push(t1 - t0)
        finished.push(performance.now() - t0)
      }
    }
  } finally {
    await bridge.stop()
    await fake.close()
  }
  const result = { options: opts, accepted: summarize(accept), finished: summarize(finished), rejected: fake.rejected.length, violations: fake.violations.length }
  console.log(`Flux POST -> 202: p50 ${ms(result.accepted.p50)}, p99 ${ms(result.accepted.p99)}`)
  console.log(`Flux POST -> Keptn fake has .finished: p50 ${ms(result.finished.p50)}, p99 ${ms(result.finished.p99)}, max ${ms(result.finished.max)} (${opts.count} deployments)`)
  console.log(`Keptn fake: ${result.rejected} rejected, ${result.violations} protocol violations`)
  return result
}
