import t from 'tap'
import { Readable } from 'node:stream'
import { request } from 'undici'
import { build, manualClock, outboxDrained } from '../helpers/app.js'
import { startRedisServer, testRedisUrl, uniquePrefix } from '../helpers/redis.js'
import { withKeptnFake, makeTriggered, type KeptnFake, pushTriggered, ofType } from '../helpers/keptn-fake.js'
import { fluxEvent, fluxRequest } from '../helpers/flux.js'
import { hmacKey } from '../helpers/app.js'
import { startBridge } from '../helpers/process.js'
import { waitFor } from '../helpers/wait.js'

// Never lose, never double, never hang: real Redis, real processes, the strict Keptn fake.

const podtato = { project: 'podtato', stage: 'dev', service: 'helloservice' }

const fast = { DELIVERY_POLL_INTERVAL: '50ms', DELIVERY_BACKOFF_BASE: '50ms', DELIVERY_BACKOFF_MAX: '200ms', KEPTN_TIMEOUT: '1s', DELIVERY_LEASE: '2s' }

function env (fake: KeptnFake, redisUrl: string, over: Record<string, string> = {}) {
  return { REDIS_URL: redisUrl, KEY_PREFIX: uniquePrefix(), KEPTN_API_URL: fake.url, KEPTN_API_TOKEN: fake.token, KEPTN_POLL_INTERVAL: '0', ...fast, ...over }
}

async function post (url: string, path: string, payload: string | Buffer, headers: Record<string, string>) {
  const res = await request(url + path, { method: 'POST', body: payload, headers: { 'content-type': 'application/json', ...headers } })
  return { status: res.statusCode, body: await res.body.json() as Record<string, unknown> }
}

withKeptnFake(t, 'Keptn answering 503 for a while, then recovering: each event delivered once', async (t, fake) => {
  const app = await build(t, env(fake, await testRedisUrl()))
  fake.respondWith(503, 4, '/v1/event')
  const triggered = makeTriggered(podtato)
  await app.inject(pushTriggered(fake, triggered))
  await app.inject(fluxRequest(fluxEvent()))
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  // Settled: nothing is left in the outbox that could be sent again.
  await outboxDrained(app)
  t.equal(ofType(fake, 'started').length, 1)
  t.equal(ofType(fake, 'finished').length, 1)
  t.ok(fake.requests.filter(r => r.status === 503).length >= 4, 'the 503s were really answered')
  t.match((await app.inject('/metrics')).body, /kgb_delivery_retries_total\{kind="started"\} [1-9]/)
})

withKeptnFake(t, 'Keptn answering 400: dead-lettered with its message, not retried for ever', async (t, fake) => {
  const app = await build(t, env(fake, await testRedisUrl()))
  fake.respondWith(400, Infinity, '/v1/event')
  const triggered = makeTriggered(podtato)
  await app.inject(pushTriggered(fake, triggered))
  await fake.waitFor(f => f.requests.some(r => r.method === 'POST' && r.status === 400))
  // Dead-lettered: gone from the outbox, so no retry can come any more.
  await outboxDrained(app)
  t.equal(fake.requests.filter(r => r.method === 'POST').length, 1, 'tried once')
  const listed = (await app.inject('/api/v1/deployments')).json()
  t.match(listed.deadLetters, [{ entry: { id: `started:${triggered.id}`, kind: 'started' }, attempts: [{ status: 400 }] }])
  t.match((await app.inject('/metrics')).body, /kgb_dead_letters_total\{kind="started"\} 1/)
  fake.heal()
})

withKeptnFake(t, 'deadline: two replicas finish an overdue deployment once as errored/fail', async (t, fake) => {
  const clock = manualClock(Date.now())
  const shared = env(fake, await testRedisUrl(), { DEPLOYMENT_TIMEOUT: '2s' })
  await build(t, shared, { clock })
  const b = await build(t, shared, { clock })
  const triggered = makeTriggered(podtato)
  await b.inject(pushTriggered(fake, triggered))
  await fake.waitFor(f => ofType(f, 'started').length === 1)
  clock.advance(2001)
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  // Both replicas share the outbox: once it is empty, neither has a second .finished to send.
  await outboxDrained(b)
  t.equal(ofType(fake, 'finished').length, 1)
  t.match(ofType(fake, 'finished')[0], { triggeredid: triggered.id, data: { status: 'errored', result: 'fail', message: /Timed out after 2s waiting for Flux/ } })
  const late = await b.inject(fluxRequest(fluxEvent()))
  t.match(late.json(), { status: 'ignored', reason: 'no pending deployment' }, 'a late Flux report finishes nothing twice')
})

withKeptnFake(t, 'Redis stopped and started again: readiness flips, writes get 503, nothing accepted is lost', async (t, fake) => {
  const redis = await startRedisServer({ appendonly: true })
  t.teardown(() => redis.stop())
  const app = await build(t, env(fake, redis.url))
  fake.respondWith(503, Infinity, '/v1/event')
  const triggered = makeTriggered(podtato)
  const push = () => app.inject(pushTriggered(fake, triggered))
  t.equal((await push()).statusCode, 202)
  t.equal((await app.inject(fluxRequest(fluxEvent()))).statusCode, 202, 'accepted while Keptn is failing')

  await redis.stop()
  await waitFor('readiness flips to 503', async () => (await app.inject('/readyz')).statusCode === 503)
  t.equal((await app.inject('/readyz')).statusCode, 503)
  const scrape = await app.inject('/metrics')
  t.equal(scrape.statusCode, 200, 'metrics are still scraped while Redis is away')
  t.match(scrape.body, /kgb_store_up 0/)
  t.match(scrape.body, /kgb_pending_deployments nan/i, 'unknown, not a stale number')
  t.match(scrape.body, /kgb_events_received_total\{source="flux"/, 'the counters are all there')
  const during = await app.inject(fluxRequest(fluxEvent({ message: 'another event' })))
  t.equal(during.statusCode, 503, 'no silent 2xx for work that was not stored')
  t.equal(during.headers['retry-after'], '15', 'long enough that Flux\'s 4 retries span a 60 s outage')

  await redis.start()
  await waitFor('ready again', async () => (await app.inject('/readyz')).statusCode === 200)
  t.equal((await app.inject('/readyz')).statusCode, 200, 'ready again after Redis came back')
  t.match((await app.inject('/metrics')).body, /kgb_store_up 1/)
  fake.heal()
  await fake.waitFor(f => ofType(f, 'finished').length === 1, 15_000)
  t.match(ofType(fake, 'finished')[0], { triggeredid: triggered.id, data: { status: 'succeeded' } })
  t.equal(ofType(fake, 'started').length, 1)
})

withKeptnFake(t, 'Keptn down while Flux reports, every replica killed with SIGKILL, restart: delivered once', async (t, fake) => {
  const redis = await startRedisServer({ appendonly: true })
  t.teardown(() => redis.stop())
  const shared = { ...env(fake, redis.url), FLUX_HMAC_KEYS: hmacKey, DELIVERY_POLL_INTERVAL: '100ms' }
  const replicas = [await startBridge(shared), await startBridge(shared)]
  t.teardown(() => Promise.all(replicas.map(r => r.kill())))

  const triggered = makeTriggered(podtato)
  fake.addTriggered(triggered)
  const pushed = await post(replicas[0]!.url, '/events/keptn', JSON.stringify(triggered), {})
  t.equal(pushed.status, 202)
  await fake.waitFor(f => ofType(f, 'started').length === 1)

  await fake.goDown()
  const flux = fluxRequest(fluxEvent())
  const answers = await Promise.all(replicas.map(r => post(r.url, '/hooks/flux', flux.payload, flux.headers)))
  t.same(answers.map(a => a.status).sort(), [200, 202], 'one accepted, the other saw a duplicate')
  // The .finished is in the outbox and a replica has tried Keptn (refused): killed with work owed.
  const retriedFinished = async (url: string) => /kgb_delivery_retries_total\{kind="finished"\} [1-9]/.test(await (await request(url + '/metrics')).body.text())
  await waitFor('a replica tried to deliver the .finished while Keptn was down', async () => (await Promise.all(replicas.map(r => retriedFinished(r.url)))).includes(true))
  for (const replica of replicas) t.equal(await replica.kill('SIGKILL'), 'SIGKILL')

  await fake.comeBack()
  const restarted = await startBridge(shared)
  t.teardown(() => restarted.kill())
  await fake.waitFor(f => ofType(f, 'finished').length === 1, 15_000)
  await outboxDrained(restarted.url)
  t.equal(ofType(fake, 'finished').length, 1, 'one .finished, after every replica was killed')
  t.equal(ofType(fake, 'started').length, 1)
  t.match(ofType(fake, 'finished')[0], { triggeredid: triggered.id, shkeptncontext: triggered.shkeptncontext })
})

withKeptnFake(t, 'a replica killed while it holds leased work: another takes it over after the lease', async (t, fake) => {
  const redis = await startRedisServer({ appendonly: true })
  t.teardown(() => redis.stop())
  const shared = { ...env(fake, redis.url), FLUX_HMAC_KEYS: hmacKey }
  const doomed = await startBridge(shared)
  // Keptn stores the .started at once but its answer never reaches the doomed replica.
  fake.answerLate(30_000)
  const triggered = makeTriggered(podtato)
  fake.addTriggered(triggered)
  await post(doomed.url, '/events/keptn', JSON.stringify(triggered), {})
  await fake.waitFor(f => ofType(f, 'started').length === 1)
  await doomed.kill('SIGKILL')
  fake.answerLate(0)
  const survivor = await startBridge(shared)
  t.teardown(() => survivor.kill())
  // The survivor leases the entry once the doomed lease runs out, asks Keptn, and settles it.
  await fake.waitFor(f => f.requests.some(r => r.path.startsWith('/api/controlPlane/v1/sequence-execution')), 15_000)
  const flux = fluxRequest(fluxEvent())
  t.equal((await post(survivor.url, '/hooks/flux', flux.payload, flux.headers)).status, 202)
  await fake.waitFor(f => ofType(f, 'finished').length === 1, 15_000)
  t.equal(ofType(fake, 'started').length, 1, 'taken over, found in Keptn, not sent again')
})

withKeptnFake(t, 'a replica killed while Keptn refused its request: the survivor sends the event', async (t, fake) => {
  const redis = await startRedisServer({ appendonly: true })
  t.teardown(() => redis.stop())
  const shared = { ...env(fake, redis.url), FLUX_HMAC_KEYS: hmacKey }
  const doomed = await startBridge(shared)
  fake.respondWith(503, Infinity, '/v1/event')
  const triggered = makeTriggered(podtato)
  fake.addTriggered(triggered)
  t.equal((await post(doomed.url, '/events/keptn', JSON.stringify(triggered), {})).status, 202)
  await fake.waitFor(f => f.requests.some(r => r.path === '/api/v1/event' && r.status === 503))
  await doomed.kill('SIGKILL')
  fake.heal()
  const survivor = await startBridge(shared)
  t.teardown(() => survivor.kill())
  await fake.waitFor(f => ofType(f, 'started').length === 1, 15_000)
  t.equal(ofType(fake, 'started').length, 1)
})

withKeptnFake(t, 'SIGTERM: finishes the request in flight, stops accepting, exits 0', async (t, fake) => {
  const bridge = await startBridge({ ...env(fake, await testRedisUrl()), FLUX_HMAC_KEYS: hmacKey })
  const flux = fluxRequest(fluxEvent())
  const body = Buffer.from(flux.payload)
  const { Client } = await import('undici')
  const client = new Client(bridge.url)
  t.teardown(() => client.close())
  let sendRest: () => void = () => {}
  const slowBody = (async function * () {
    yield body.subarray(0, 10)
    await new Promise<void>(resolve => { sendRest = resolve })
    yield body.subarray(10)
  })()
  const inFlight = client.request({ method: 'POST', path: '/hooks/flux', headers: { ...flux.headers, 'content-length': String(body.length) }, body: Readable.from(slowBody) })
  await waitFor('the bridge has the request in flight', () => bridge.logs.some(line => /incoming request/.test(line) && line.includes('/hooks/flux')))
  bridge.proc.kill('SIGTERM')
  // Still holding the request in flight, it stops listening: a new connection is refused.
  const refused = () => request(bridge.url + '/healthz').then(async res => { await res.body.dump(); return false }, () => true)
  await waitFor('new connections are refused', refused)
  await t.rejects(request(bridge.url + '/healthz'), 'new connections are refused once shutting down')
  sendRest()
  const res = await inFlight
  t.equal(res.statusCode, 200, 'the request in flight was answered')
  await res.body.dump()
  t.equal(await bridge.exited, 0)
})

withKeptnFake(t, 'a slow Keptn (it stores each event but answers after KEPTN_TIMEOUT): every event lands once, none is resent blind', async (t, fake) => {
  const app = await build(t, env(fake, await testRedisUrl()))
  fake.answerLate(1500)
  const deployments = Array.from({ length: 6 }, (_, i) => makeTriggered({ ...podtato, service: `svc-${i}` }))
  for (const ev of deployments) t.equal((await app.inject(pushTriggered(fake, ev))).statusCode, 202)
  await fake.waitFor(f => ofType(f, 'started').length === deployments.length)
  // Past the timeout each attempt is uncertain: the bridge waits KEPTN_TIMEOUT, asks Keptn about
  // each deployment (by its context), finds it.
  const askedAbout = (f: KeptnFake) => new Set(f.requests.filter(r => r.path.startsWith('/api/controlPlane/v1/sequence-execution'))
    .map(r => new URL(r.path, 'http://keptn.invalid').searchParams.get('keptnContext')))
  await fake.waitFor(f => deployments.every(ev => askedAbout(f).has(ev.shkeptncontext!)), 15_000)
  fake.answerLate(0)
  // Every entry found in Keptn and settled: none is left that could be resent.
  await outboxDrained(app)
  t.equal(ofType(fake, 'started').length, deployments.length, 'one .started each, not one per attempt')
  t.same(fake.violations, [])
})
