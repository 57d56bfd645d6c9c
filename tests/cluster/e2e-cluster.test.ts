import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { build, outboxDrained } from '../helpers/app.js'
import { uniquePrefix } from '../helpers/redis.js'
import { startRedisCluster } from '../helpers/redis-cluster.js'
import { withKeptnFake, makeTriggered, type KeptnFake, pushTriggered, ofType } from '../helpers/keptn-fake.js'
import type { KeptnCloudEvent } from '../../schemas/keptn-event.js'
import { fluxEvent, fluxRequest } from '../helpers/flux.js'

// The end-to-end path on a 3-master Redis Cluster: two app instances, one delivery per event.

const cluster = await startRedisCluster({ masters: 3 })
t.teardown(() => cluster.stop())

const podtato = { project: 'podtato', stage: 'dev', service: 'helloservice' }

function env (fake: KeptnFake) {
  return {
    REDIS_CLUSTER_NODES: cluster.nodes.join(','),
    KEY_PREFIX: uniquePrefix(),
    KEPTN_API_URL: fake.url,
    KEPTN_API_TOKEN: fake.token,
    KEPTN_POLL_INTERVAL: '0',
    DELIVERY_BACKOFF_BASE: '50ms',
    DELIVERY_BACKOFF_MAX: '200ms'
  }
}

const push = (app: FastifyInstance, fake: KeptnFake, body: KeptnCloudEvent) =>
  app.inject(pushTriggered(fake, body))

withKeptnFake(t, 'two instances on the cluster: pushed twice, one .started; Flux retried on both, one .finished', async (t, fake) => {
  const shared = env(fake)
  const [a, b] = [await build(t, shared), await build(t, shared)]
  for (const app of [a, b]) t.equal((await app.inject('/readyz')).statusCode, 200, 'ready on the cluster')

  const triggered = makeTriggered(podtato)
  const pushed = await Promise.all([push(a, fake, triggered), push(b, fake, triggered)])
  t.same(pushed.map(r => r.json().status).sort(), ['accepted', 'duplicate'])
  await fake.waitFor(f => ofType(f, 'started').length === 1)

  const request = fluxRequest(fluxEvent())
  const answers = await Promise.all([a, b, a, b, a].map(app => app.inject(request)))
  t.same(answers.map(r => r.json().status).sort(), ['accepted', 'duplicate', 'duplicate', 'duplicate', 'duplicate'])
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  // a and b share one outbox: once it is empty, nothing is left to send twice.
  await outboxDrained(a)
  t.equal(ofType(fake, 'started').length, 1)
  t.equal(ofType(fake, 'finished').length, 1)
  t.match(ofType(fake, 'finished')[0], { triggeredid: triggered.id, shkeptncontext: triggered.shkeptncontext, data: { ...podtato, status: 'succeeded', result: 'pass' } })
})

withKeptnFake(t, 'services spread over every shard finish independently on both instances', async (t, fake) => {
  const shared = env(fake)
  const [a, b] = [await build(t, shared), await build(t, shared)]
  const services = Array.from({ length: 24 }, (_, i) => makeTriggered({ ...podtato, service: `service-${i}` }))
  for (const [i, ev] of services.entries()) t.equal((await push(i % 2 ? a : b, fake, ev)).statusCode, 202)
  for (const [i, ev] of services.entries()) {
    const flux = fluxRequest(fluxEvent({ metadata: { revision: '0.3.2', 'keptn-project': 'podtato', 'keptn-stage': 'dev', 'keptn-service': ev.data.service } }))
    t.equal((await (i % 2 ? b : a).inject(flux)).statusCode, 202)
  }
  await fake.waitFor(f => ofType(f, 'finished').length === services.length)
  await outboxDrained(a)
  t.same(ofType(fake, 'finished').map(e => e.triggeredid).sort(), services.map(s => s.id).sort(), 'each one finished once')
  t.equal(ofType(fake, 'started').length, services.length)
  const listed = (await a.inject('/api/v1/deployments')).json()
  t.equal(listed.pendingCount, 0, 'nothing left pending on any shard')
})

withKeptnFake(t, 'Keptn answering 503 for a while on the cluster: each event delivered once', async (t, fake) => {
  const shared = env(fake)
  const [a, b] = [await build(t, shared), await build(t, shared)]
  fake.respondWith(503, 6, '/v1/event')
  const triggered = makeTriggered(podtato)
  t.equal((await push(a, fake, triggered)).statusCode, 202)
  t.equal((await b.inject(fluxRequest(fluxEvent()))).statusCode, 202)
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  await outboxDrained(a)
  t.equal(ofType(fake, 'started').length, 1)
  t.equal(ofType(fake, 'finished').length, 1)
  t.ok(fake.requests.filter(r => r.status === 503).length >= 6, 'the 503s were really answered')
})
