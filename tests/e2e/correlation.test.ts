import t from 'tap'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build, outboxDrained } from '../helpers/app.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'
import { withKeptnFake, makeTriggered, type KeptnFake, pushTriggered, ofType } from '../helpers/keptn-fake.js'
import { fluxEvent, fluxRequest, unmapped } from '../helpers/flux.js'

const redisUrl = await testRedisUrl()
const podtato = { project: 'podtato', stage: 'dev', service: 'helloservice' }

function env (fake: KeptnFake, over: Record<string, string> = {}) {
  return { REDIS_URL: redisUrl, KEY_PREFIX: uniquePrefix(), KEPTN_API_URL: fake.url, KEPTN_API_TOKEN: fake.token, KEPTN_POLL_INTERVAL: '0', ...over }
}

withKeptnFake(t, 'a pulled triggered event gets one .started, however often Keptn keeps listing it', async (t, fake) => {
  const triggered = makeTriggered(podtato)
  fake.addTriggered(triggered)
  const app = await build(t, env(fake, { KEPTN_POLL_INTERVAL: '30ms' }))
  await fake.waitFor(f => ofType(f, 'started').length === 1)
  await fake.waitFor(f => f.requests.filter(r => r.method === 'GET').length >= 5)
  // Whatever those listings queued has been sent.
  await outboxDrained(app)
  const started = ofType(fake, 'started')
  t.equal(started.length, 1)
  t.match(started[0], { triggeredid: triggered.id, shkeptncontext: triggered.shkeptncontext, data: podtato })
})

withKeptnFake(t, 'a pushed triggered event gets one .started; a pushed duplicate or another type is answered and ignored', async (t, fake) => {
  const app = await build(t, env(fake))
  const triggered = makeTriggered(podtato)
  fake.addTriggered(triggered)
  const push = (body: unknown) => app.inject({ method: 'POST', url: '/events/keptn', headers: { 'content-type': 'application/cloudevents+json' }, payload: JSON.stringify(body) })
  const first = await push(triggered)
  t.equal(first.statusCode, 202)
  t.match(first.json(), { status: 'accepted', triggeredId: triggered.id })
  t.equal((await push(triggered)).json().status, 'duplicate')
  const other = await push({ ...triggered, id: 'x', type: 'sh.keptn.event.test.triggered' })
  t.equal(other.statusCode, 200)
  t.equal(other.json().status, 'ignored')
  const invalid = await push({ ...triggered, id: 'y', data: { project: 'podtato' } })
  t.equal(invalid.statusCode, 400)
  t.match(invalid.json().message, /stage/)
  await fake.waitFor(f => ofType(f, 'started').length === 1)
})

withKeptnFake(t, 'a Flux success finishes the right context as succeeded/pass, after its .started', async (t, fake) => {
  const app = await build(t, env(fake))
  const older = makeTriggered(podtato)
  const other = makeTriggered({ ...podtato, service: 'otherservice' })
  for (const ev of [older, other]) {
    await app.inject(pushTriggered(fake, ev))
  }
  const res = await app.inject(fluxRequest(fluxEvent()))
  t.equal(res.statusCode, 202)
  t.match(res.json(), { status: 'accepted', ...podtato, triggeredId: older.id, keptnContext: older.shkeptncontext })
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  const finished = ofType(fake, 'finished')[0]!
  t.match(finished, {
    triggeredid: older.id,
    shkeptncontext: older.shkeptncontext,
    source: 'keptn-gitops-bridge',
    data: { ...podtato, status: 'succeeded', result: 'pass', message: 'Successfully deployed helloservice at revision 0.3.2', deployment: { deploymentNames: ['helloservice'] } }
  })
  const order = fake.received.map(e => `${e.type.split('.').pop()}:${e.triggeredid}`)
  t.ok(order.indexOf(`started:${older.id}`) < order.indexOf(`finished:${older.id}`), '.started came first')
})

withKeptnFake(t, 'Flux retries and two app instances on one Redis give one .finished', async (t, fake) => {
  const shared = env(fake)
  const [a, b] = [await build(t, shared), await build(t, shared)]
  const triggered = makeTriggered(podtato)
  await a.inject(pushTriggered(fake, triggered))
  await b.inject(pushTriggered(fake, triggered))
  const request = fluxRequest(fluxEvent())
  const answers = await Promise.all([a, b, a, b, a].map(app => app.inject(request)))
  t.same(answers.map(r => r.json().status).sort(), ['accepted', 'duplicate', 'duplicate', 'duplicate', 'duplicate'])
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  // a and b share one outbox: once it is empty, no second .finished is on its way.
  await outboxDrained(a)
  t.equal(ofType(fake, 'finished').length, 1)
  t.equal(ofType(fake, 'started').length, 1)
})

withKeptnFake(t, 'a failure mapped by the mapping file finishes errored/fail with the Flux message', async (t, fake) => {
  const dir = mkdtempSync(join(tmpdir(), 'kgb-map-'))
  const file = join(dir, 'mapping.yaml')
  writeFileSync(file, 'rules:\n  - match: { kind: HelmRelease, namespace: "{project}-{stage}", name: "{service}" }\n')
  const app = await build(t, env(fake, { MAPPING_FILE: file }))
  const triggered = makeTriggered(podtato)
  await app.inject(pushTriggered(fake, triggered))
  const failure = unmapped(fluxEvent({ severity: 'error', reason: 'UpgradeFailed', message: 'Helm upgrade failed: timed out waiting for the condition' }))
  const res = await app.inject(fluxRequest(failure))
  t.equal(res.statusCode, 202)
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  t.match(ofType(fake, 'finished')[0], { triggeredid: triggered.id, data: { status: 'errored', result: 'fail', message: /timed out waiting for the condition/ } })
})

withKeptnFake(t, 'Progressing finishes nothing; an older-wording success does', async (t, fake) => {
  const app = await build(t, env(fake))
  const triggered = makeTriggered(podtato)
  await app.inject(pushTriggered(fake, triggered))
  const progressing = await app.inject(fluxRequest(fluxEvent({ reason: 'Progressing', message: 'Running upgrade action' })))
  t.equal(progressing.statusCode, 200)
  t.match(progressing.json(), { status: 'ignored', reason: /not a deployment outcome/ })
  const old = fluxEvent({ reason: 'info', message: 'Helm upgrade succeeded', involvedObject: { kind: 'HelmRelease', namespace: 'podtato-dev', name: 'helloservice', apiVersion: 'helm.toolkit.fluxcd.io/v2beta1' } })
  const res = await app.inject(fluxRequest(old))
  t.equal(res.statusCode, 202)
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  t.match(ofType(fake, 'finished')[0], { triggeredid: triggered.id, data: { status: 'succeeded', result: 'pass' } })
})

withKeptnFake(t, 'an unmapped event is ignored with its reason', async (t, fake) => {
  const app = await build(t, env(fake))
  const res = await app.inject(fluxRequest(unmapped(fluxEvent())))
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ignored', reason: 'no Keptn mapping' })
  const metrics = await app.inject('/metrics')
  t.match(metrics.body, /kgb_events_received_total\{source="flux",reason="UpgradeSucceeded",result="ignored-unmapped"\} 1/)
})

withKeptnFake(t, 'GET /api/v1/deployments lists pending deployments and recent outcomes', async (t, fake) => {
  const app = await build(t, env(fake))
  const waiting = makeTriggered({ ...podtato, service: 'waiting' })
  const done = makeTriggered(podtato)
  for (const ev of [waiting, done]) {
    await app.inject(pushTriggered(fake, ev))
  }
  await app.inject(fluxRequest(fluxEvent()))
  const listed = (await app.inject('/api/v1/deployments')).json()
  t.match(listed, { pendingCount: 1, pending: [{ triggeredId: waiting.id, service: 'waiting' }], recent: [{ triggeredId: done.id, status: 'succeeded' }] })
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
})

withKeptnFake(t, 'KEPTN_PROJECTS scopes both paths: other projects are neither pulled nor taken from a push', async (t, fake) => {
  const mine = makeTriggered(podtato)
  fake.addTriggered(mine)
  fake.addTriggered(makeTriggered({ project: 'helm-service-owned', stage: 'dev', service: 'x' }))
  const app = await build(t, env(fake, { KEPTN_PROJECTS: 'podtato', KEPTN_POLL_INTERVAL: '30ms' }))
  const pushed = await app.inject({ method: 'POST', url: '/events/keptn', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(makeTriggered({ project: 'other', stage: 'dev', service: 'y' })) })
  t.match(pushed.json(), { status: 'ignored', reason: 'project other is not in KEPTN_PROJECTS' })
  await fake.waitFor(f => ofType(f, 'started').length === 1 && f.requests.filter(r => r.method === 'GET').length >= 3)
  await outboxDrained(app)
  t.same(ofType(fake, 'started').map(e => e.triggeredid), [mine.id])
  const listings = fake.requests.filter(r => r.method === 'GET' && r.path.includes('/event/triggered/'))
  t.ok(listings.length > 0 && listings.every(r => r.path.includes('project=podtato')), 'the listing is asked per project')
})
