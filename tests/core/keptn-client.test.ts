import t from 'tap'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { createKeptnClient, createLogOnlyKeptnClient, KeptnApiError, type KeptnClientOptions } from '../../app/core/keptn-client.js'
import { buildCloudEvent } from '../../app/core/keptn-events.js'
import type { TriggeredDeployment } from '../../app/core/types.js'
import { startKeptnFake, makeTriggered } from '../helpers/keptn-fake.js'

async function setup (t: { teardown (fn: () => unknown): void }, client: Partial<KeptnClientOptions> = {}) {
  const fake = await startKeptnFake({ token: 'test-token' })
  t.teardown(() => fake.close())
  const keptn = createKeptnClient({ url: fake.url, token: fake.token, source: 'bridge-test', timeoutMs: 2000, ...client })
  t.teardown(() => keptn.close())
  return { fake, keptn }
}

const pending: TriggeredDeployment = {
  project: 'shop', stage: 'prod', service: 'cart', triggeredId: 'trig-1', keptnContext: 'ctx-1', receivedAt: 0, deadline: 1
}
const started = (id = 'out-1') => buildCloudEvent({ id, kind: 'started', pending }, 'bridge-test')

t.test('sends an event with the token and returns the keptn context', async t => {
  const { fake, keptn } = await setup(t)
  t.same(await keptn.send(started()), { ok: true, status: 200, keptnContext: 'ctx-1' })
  t.equal(fake.received.length, 1)
  t.equal(fake.received[0]?.id, started().id)
})

t.test('a rejected token is permanent and carries Keptn\'s message', async t => {
  const { fake, keptn } = await setup(t, { token: 'wrong' })
  t.same(await keptn.send(started()), { ok: false, retryable: false, status: 401, message: 'missing or malformed API key' })
  t.equal(fake.received.length, 0)
})

t.test('a 400 is permanent and says why', async t => {
  const { keptn } = await setup(t)
  const res = await keptn.send(makeTriggered())
  t.match(res, { ok: false, retryable: false, status: 400, message: /may only be .started/ })
})

t.test('503 and 429 are retryable, and the event goes through once Keptn recovers', async t => {
  const { fake, keptn } = await setup(t)
  fake.respondWith(503, 1)
  t.match(await keptn.send(started()), { ok: false, retryable: true, status: 503 })
  fake.respondWith(429, 1)
  t.match(await keptn.send(started()), { ok: false, retryable: true, status: 429 })
  t.match(await keptn.send(started()), { ok: true })
  t.equal(fake.received.length, 1)
})

t.test('connection refused is retryable, and the client reconnects when Keptn is back', async t => {
  const { fake, keptn } = await setup(t)
  t.match(await keptn.send(started('a')), { ok: true })
  await fake.goDown()
  const down = await keptn.send(started('b'))
  t.match(down, { ok: false, retryable: true })
  t.notOk('status' in down)
  await fake.comeBack()
  t.match(await keptn.send(started('b')), { ok: true })
  t.equal(fake.received.length, 2)
})

t.test('a slow Keptn times out and the failure is retryable', async t => {
  const { fake, keptn } = await setup(t, { timeoutMs: 100 })
  fake.delay(1000)
  const begun = Date.now()
  const res = await keptn.send(started())
  t.match(res, { ok: false, retryable: true, message: /^timeout: Keptn did not answer within 100 ms/ })
  t.ok(Date.now() - begun < 900, 'gave up before Keptn answered')
})

t.test('lists open deployments across pages, without duplicates, with filters', async t => {
  const { fake, keptn } = await setup(t)
  const shop = Array.from({ length: 230 }, () => makeTriggered({ project: 'shop' }))
  for (const ev of shop) fake.addTriggered(ev)
  fake.addTriggered(shop[5]!)
  fake.addTriggered(shop[150]!)
  fake.addTriggered(makeTriggered({ project: 'other' }))
  const listed = await keptn.listTriggered({ project: 'shop' })
  t.same(listed.map(ev => (ev as { id: string }).id).sort(), shop.map(ev => ev.id).sort())
  const gets = fake.requests.filter(r => r.method === 'GET')
  t.equal(gets.length, 3, 'pages of 100')
  t.match(gets[0]?.path, /pageSize=100/)
  t.equal((await keptn.listTriggered()).length, 231)
})

t.test('listing fails loudly when Keptn answers an error', async t => {
  const { fake, keptn } = await setup(t)
  fake.respondWith(503, 1)
  await t.rejects(keptn.listTriggered(), { name: 'KeptnApiError', status: 503, message: /listing triggered deployments.*503/ })
  await fake.goDown()
  await t.rejects(keptn.listTriggered(), { message: /listing triggered deployments: Keptn unreachable/ })
})

t.test('registers and heartbeats; a heartbeat for a dropped registration fails with 404', async t => {
  const { fake, keptn } = await setup(t)
  const { id } = await keptn.register({
    name: 'keptn-gitops-bridge',
    metadata: { hostname: 'pod-1', kubernetesmetadata: { namespace: 'keptn' } },
    subscriptions: [{ event: 'sh.keptn.event.deployment.triggered', filter: { projects: [], stages: [], services: [] } }]
  })
  t.equal(fake.registrations[0]?.id, id)
  await keptn.heartbeat(id)
  t.equal(fake.heartbeats.length, 1)
  fake.dropRegistrations()
  const err = await keptn.heartbeat(id).catch(e => e)
  t.ok(err instanceof KeptnApiError)
  t.equal(err.status, 404)
})

t.test('the log-only client logs each event and accepts it', async t => {
  const lines: Array<Record<string, any>> = []
  const sink = new Writable({ write (chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done() } })
  const keptn = createLogOnlyKeptnClient(pino({ level: 'info' }, sink))
  t.same(await keptn.send(started()), { ok: true, status: 200, keptnContext: 'ctx-1' })
  t.equal(lines.length, 1)
  t.equal(lines[0]?.level, 30)
  t.equal(lines[0]?.keptnEvent.type, 'sh.keptn.event.deployment.started')
  t.same(await keptn.listTriggered(), [])
  await keptn.close()
})

t.test('finds in shipyard-controller\'s sequence executions whether an event already landed', async t => {
  const { fake, keptn } = await setup(t)
  const td = makeTriggered({ project: 'shop', stage: 'prod', service: 'cart' })
  fake.addTriggered(td)
  const own = { ...pending, triggeredId: td.id, keptnContext: td.shkeptncontext! }
  const startedEv = buildCloudEvent({ id: 'started:x', kind: 'started', pending: own }, 'bridge-test')
  const finishedEv = buildCloudEvent({
    id: 'finished:x', kind: 'finished', pending: own, result: { status: 'succeeded', result: 'pass', message: 'ok', deploymentNames: ['cart'], source: 'flux', finishedAt: 0 }
  }, 'bridge-test')
  t.equal(await keptn.landed(startedEv), false, 'nothing sent yet')
  await keptn.send(startedEv)
  t.equal(await keptn.landed(startedEv), true, 'the .started is in the current task\'s events')
  t.equal(await keptn.landed(finishedEv), false)
  t.equal(await keptn.landed({ ...startedEv, source: 'helm-service' }), false, 'another service\'s .started is not ours')
  await keptn.send(finishedEv)
  t.equal(await keptn.landed(finishedEv), true, 'the task is done: both landed')
  t.equal(await keptn.landed(startedEv), true)
  const asked = fake.requests.filter(r => r.path.startsWith('/api/controlPlane/v1/sequence-execution'))
  t.match(asked[0]?.path, new RegExp(`project=shop&keptnContext=${td.shkeptncontext}&pageSize=50&stage=prod&service=cart`))
})

t.test('a sequence the bridge triggered is found by its context; a Keptn without the endpoint cannot say', async t => {
  const { fake, keptn } = await setup(t)
  const trigger = buildCloudEvent({
    id: 'trigger:1', kind: 'trigger', trigger: { project: 'shop', stage: 'prod', service: 'cart', sequence: 'evaluation', keptnContext: 'ctx-9', revision: 'r', labels: {}, createdAt: 0 }
  }, 'bridge-test')
  t.equal(await keptn.landed(trigger), false)
  await keptn.send(trigger)
  t.equal(await keptn.landed(trigger), true)
  fake.withoutSequenceExecutions()
  t.equal(await keptn.landed(trigger), undefined)
  fake.respondWith(500, 1)
  await t.rejects(keptn.landed(trigger), { name: 'KeptnApiError', status: 500, message: /looking for an event/ })
})

t.test('a lost answer is uncertain, a refused connection is not', async t => {
  const { fake, keptn } = await setup(t, { timeoutMs: 200 })
  fake.answerLate(1000)
  t.match(await keptn.send(started('late')), { ok: false, retryable: true, uncertain: true, message: /timeout/ })
  t.equal(fake.received.length, 1, 'Keptn got it all the same')
  fake.answerLate(0)
  await fake.goDown()
  const refused = await keptn.send(started('refused'))
  t.match(refused, { ok: false, retryable: true })
  t.notOk(!refused.ok && refused.uncertain, 'never reached Keptn')
  await fake.comeBack()
  fake.respondWith(504, 1)
  t.match(await keptn.send(started('gateway')), { ok: false, status: 504, uncertain: true })
})
