import t, { type Test } from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { build, outboxDepth, outboxDrained } from '../helpers/app.js'
import { uniquePrefix } from '../helpers/redis.js'
import { startRedisCluster, startSentinelSetup } from '../helpers/redis-cluster.js'
import { bridgeEnv, testCertificates, type RedisSecurity } from '../helpers/redis-security.js'
import { withKeptnFake, makeTriggered, type KeptnFake, pushTriggered, ofType } from '../helpers/keptn-fake.js'
import { fluxEvent, fluxRequest } from '../helpers/flux.js'
import { sleep, waitFor } from '../helpers/wait.js'

// Redis fails over while Keptn and Flux keep sending: whatever was answered 2xx is delivered to
// Keptn exactly once; whatever was not was answered 503 and is retried by its sender.

// Four real failovers (about 20 s each) plus the traffic around them: longer than tap's 30 s default.
t.setTimeout(480_000)

function env (fake: KeptnFake, redis: Record<string, string>) {
  return {
    ...redis,
    // Writes count once a replica holds them: a failover cannot take back what was answered 2xx.
    REDIS_WAIT_REPLICAS: '1',
    KEY_PREFIX: uniquePrefix(),
    KEPTN_API_URL: fake.url,
    KEPTN_API_TOKEN: fake.token,
    KEPTN_POLL_INTERVAL: '0',
    DELIVERY_POLL_INTERVAL: '50ms',
    DELIVERY_BACKOFF_BASE: '50ms',
    DELIVERY_BACKOFF_MAX: '500ms',
    KEPTN_TIMEOUT: '1s',
    // Longer than the switch, so a worker that delivered during it can still settle its entry.
    DELIVERY_LEASE: '30s'
  }
}

async function failoverUnderTraffic (t: Test, fake: KeptnFake, apps: FastifyInstance[], failover: () => Promise<void>) {
  const statuses = new Map<number, number>()
  const services: Array<{ lane: string, triggeredId: string, finished: boolean }> = []
  // Shared with the lanes: `afterFailover` counts services sent once Redis has switched over.
  const state = { stopping: false, afterFailover: -1 }

  // Retries a 503 as Flux and Keptn's distributor would (sooner than Retry-After, to keep the test short).
  const send = async (call: () => Promise<LightMyRequestResponse>) => {
    for (;;) {
      const res = await call()
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
      if (res.statusCode !== 503) return res
      await sleep(100)
    }
  }
  const lane = async (app: FastifyInstance, name: string) => {
    for (let i = 0; !state.stopping; i++) {
      const service = `${name}-${i}`
      const triggered = makeTriggered({ project: 'podtato', stage: 'dev', service })
      const pushed = await send(() => app.inject(pushTriggered(fake, triggered)))
      if (pushed.statusCode >= 300) continue
      const entry = { lane: name, triggeredId: triggered.id, finished: false }
      services.push(entry)
      const metadata = { revision: '0.3.2', 'keptn-project': 'podtato', 'keptn-stage': 'dev', 'keptn-service': service }
      // Flux retries the same event, so a retry of a stored one is a duplicate.
      const report = fluxRequest(fluxEvent({ metadata }))
      const flux = await send(() => app.inject(report))
      entry.finished = flux.statusCode < 300
      t.match(flux.json(), { status: /^(accepted|duplicate)$/ }, `the Flux result for ${service} found its pending deployment`)
      if (state.afterFailover >= 0) state.afterFailover++
      await sleep(20)
    }
  }

  const traffic = Promise.all(apps.map((app, i) => lane(app, `svc${i}`)))
  // Fail over under traffic: once results are accepted on every app.
  const flowing = () => apps.every((_, i) => services.filter(s => s.lane === `svc${i}` && s.finished).length >= 5)
  await waitFor('traffic flows on every app', flowing, 30_000).catch(err => { state.stopping = true; throw err })
  await failover()
  state.afterFailover = 0
  // The assertion below says how far it got.
  await waitFor('20 services went through after the failover', () => state.afterFailover >= 20, 30_000).catch(() => {})
  state.stopping = true
  await traffic
  t.ok(state.afterFailover >= 20, `traffic flows again after the failover (${state.afterFailover} services)`)

  const finished = services.filter(s => s.finished)
  await fake.waitFor(f => ofType(f, 'finished').length >= finished.length, 30_000)
  // Every delivery settled: nothing is left that a lease running out could send again.
  await outboxDrained(apps[0]!, 30_000).catch(() => {})
  t.equal(await outboxDepth(apps[0]!), 0, 'every delivery was settled, so nothing is sent again when a lease runs out')

  t.same([...statuses.keys()].filter(s => s !== 200 && s !== 202 && s !== 503), [], `only 2xx and 503 answered (${JSON.stringify([...statuses])})`)
  const count = (type: string) => {
    const seen = new Map<string, number>()
    for (const ev of ofType(fake, type)) seen.set(ev.triggeredid!, (seen.get(ev.triggeredid!) ?? 0) + 1)
    return seen
  }
  const started = count('started')
  const done = count('finished')
  t.same(services.filter(s => started.get(s.triggeredId) !== 1).map(s => [s.triggeredId, started.get(s.triggeredId) ?? 0]), [],
    `each of ${services.length} accepted triggered events got exactly one .started`)
  t.same(finished.filter(s => done.get(s.triggeredId) !== 1).map(s => [s.triggeredId, done.get(s.triggeredId) ?? 0]), [],
    `each of ${finished.length} accepted Flux results got exactly one .finished`)
  t.equal(ofType(fake, 'started').length, services.length, 'no .started for anything not accepted')
  for (const app of apps) t.equal((await app.inject('/readyz')).statusCode, 200, 'ready after the failover')
}

const secured: RedisSecurity = { password: 'redis-secret-0123456789', tls: testCertificates() }

for (const [security, how] of [[{}, ''], [secured, ', with passwords and TLS everywhere']] as const) {
  withKeptnFake(t, `SENTINEL FAILOVER under traffic${how}: every accepted event reaches Keptn exactly once, nothing answered 500`, async (t, fake) => {
    const setup = await startSentinelSetup({ security })
    t.teardown(() => setup.stop())
    const shared = env(fake, { REDIS_SENTINELS: setup.sentinels.join(','), REDIS_SENTINEL_NAME: setup.name, ...bridgeEnv(security) })
    const apps = [await build(t, shared), await build(t, shared)]
    const before = await setup.master()
    await failoverUnderTraffic(t, fake, apps, async () => {
      await setup.failover()
      t.not(await setup.master(), before, 'the replica was promoted')
    })
  })

  withKeptnFake(t, `a Redis Cluster master killed under traffic${how}: every accepted event reaches Keptn exactly once`, async (t, fake) => {
    const cluster = await startRedisCluster({ masters: 3, replicas: 1, security })
    t.teardown(() => cluster.stop())
    const shared = env(fake, { REDIS_CLUSTER_NODES: cluster.nodes.join(','), ...bridgeEnv(security) })
    const apps = [await build(t, shared), await build(t, shared)]
    await failoverUnderTraffic(t, fake, apps, async () => {
      const { killed, promoted } = await cluster.failover()
      t.ok((await cluster.masters()).includes(promoted), `${promoted} took over from ${killed}`)
    })
  })
}
