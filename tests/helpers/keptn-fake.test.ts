import t from 'tap'
import { request } from 'undici'
import { startKeptnFake, makeTriggered, type KeptnFake } from './keptn-fake.js'
import type { KeptnCloudEvent } from '../../schemas/keptn-event.js'

async function fakeFor (t: { teardown (fn: () => unknown): void }, opts = {}): Promise<KeptnFake> {
  const fake = await startKeptnFake(opts)
  t.teardown(() => fake.close())
  return fake
}

async function call (fake: KeptnFake, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, token: string | null = fake.token) {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (token !== null) headers['x-token'] = token
  const res = await request(fake.url + path, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    reset: true
  })
  return { status: res.statusCode, body: await res.body.json() as any }
}

const post = (fake: KeptnFake, ev: unknown, token?: string | null) => call(fake, 'POST', '/v1/event', ev, token)

function answer (triggered: KeptnCloudEvent, status: 'started' | 'finished', data: Record<string, unknown> = {}): KeptnCloudEvent {
  const { project, stage, service } = triggered.data
  const finished = status === 'finished' ? { status: 'succeeded', result: 'pass', message: 'ok' } : { status: 'succeeded' }
  return {
    specversion: '1.0',
    id: crypto.randomUUID(),
    source: 'test',
    type: `sh.keptn.event.deployment.${status}`,
    shkeptncontext: triggered.shkeptncontext,
    triggeredid: triggered.id,
    data: { project, stage, service, ...finished, ...data }
  }
}

t.test('accepts a started then finished answer and returns the keptn context', async t => {
  const fake = await fakeFor(t)
  const triggered = makeTriggered()
  const res = await post(fake, answer(triggered, 'started'))
  t.equal(res.status, 200)
  t.same(res.body, { keptnContext: triggered.shkeptncontext })
  t.equal((await post(fake, answer(triggered, 'finished'))).status, 200)
  t.same(fake.received.map(ev => ev.type), ['sh.keptn.event.deployment.started', 'sh.keptn.event.deployment.finished'])
  t.same(fake.violations, [])
})

t.test('answers 401 without the right x-token', async t => {
  const fake = await fakeFor(t, { token: 'sesame' })
  const ev = answer(makeTriggered(), 'started')
  for (const token of [null, 'wrong']) {
    const res = await post(fake, ev, token)
    t.equal(res.status, 401)
    t.equal(res.body.code, 401)
  }
  t.equal(fake.received.length, 0)
})

t.test('answers 400 for a body over 64 KiB, even when it is valid JSON', async t => {
  const fake = await fakeFor(t)
  const res = await post(fake, answer(makeTriggered(), 'finished', { message: 'x'.repeat(65 * 1024) }))
  t.equal(res.status, 400)
  t.match(res.body.message, /64 KiB/)
  t.equal(fake.received.length, 0)
})

t.test('answers 400 to a .triggered for a task', async t => {
  const fake = await fakeFor(t)
  const res = await post(fake, makeTriggered())
  t.equal(res.status, 400)
  t.match(fake.rejected[0]?.message, /started, .finished or .invalidated/)
})

for (const status of ['started', 'finished'] as const) {
  t.test(`answers 400 to a .${status} missing a required field`, async t => {
    const fake = await fakeFor(t)
    for (const field of ['triggeredid', 'shkeptncontext']) {
      const ev: Record<string, unknown> = answer(makeTriggered(), status)
      delete ev[field]
      const res = await post(fake, ev)
      t.equal(res.status, 400, field)
      t.match(res.body.message, field)
    }
    for (const field of ['project', 'stage', 'service']) {
      const ev = answer(makeTriggered(), status)
      delete ev.data[field]
      const res = await post(fake, ev)
      t.equal(res.status, 400, field)
      t.match(res.body.message, `data.${field}`)
    }
    t.equal(fake.received.length, 0)
  })
}

t.test('answers 400 to a .finished with a status or result outside the allowed sets', async t => {
  const fake = await fakeFor(t)
  t.equal((await post(fake, answer(makeTriggered(), 'finished', { status: 'success' }))).status, 400)
  t.equal((await post(fake, answer(makeTriggered(), 'finished', { result: 'passed' }))).status, 400)
  t.equal((await post(fake, answer(makeTriggered(), 'finished', { result: 'warning', status: 'unknown' }))).status, 200)
})

t.test('checks a sequence trigger: stage in data equals the stage in the type, project and service present', async t => {
  const fake = await fakeFor(t)
  const trigger = (data: Record<string, unknown>) => ({
    specversion: '1.0',
    id: crypto.randomUUID(),
    source: 'test',
    type: 'sh.keptn.event.prod.delivery.triggered',
    shkeptncontext: crypto.randomUUID(),
    data: { project: 'shop', stage: 'prod', service: 'cart', ...data }
  })
  t.equal((await post(fake, trigger({}))).status, 200)
  t.equal((await post(fake, trigger({ stage: 'dev' }))).status, 400)
  t.equal((await post(fake, trigger({ project: undefined }))).status, 400)
  t.equal((await post(fake, trigger({ service: '' }))).status, 400)
  t.equal(fake.received.length, 1)
})

t.test('records protocol violations the real API accepts', async t => {
  const fake = await fakeFor(t)
  const a = makeTriggered()
  await post(fake, answer(a, 'finished'))
  t.match(fake.violations, [/finished without a .started/])
  const b = makeTriggered()
  await post(fake, answer(b, 'started'))
  await post(fake, answer(b, 'started'))
  t.match(fake.violations[1], /second .started/)
  await post(fake, answer(b, 'finished'))
  await post(fake, answer(b, 'finished'))
  t.match(fake.violations[2], /second .finished/)
  t.equal(fake.violations.length, 3)
})

t.test('with strictTriggeredIds, flags answers to a triggered event it never listed', async t => {
  const fake = await fakeFor(t, { strictTriggeredIds: true })
  const listed = makeTriggered()
  fake.addTriggered(listed)
  await post(fake, answer(listed, 'started'))
  t.same(fake.violations, [])
  await post(fake, answer(makeTriggered(), 'started'))
  t.match(fake.violations, [/never listed/])
})

t.test('goDown refuses connections and comeBack listens again on the same port', async t => {
  const fake = await fakeFor(t)
  const ev = answer(makeTriggered(), 'started')
  t.equal((await post(fake, ev)).status, 200)
  await fake.goDown()
  await t.rejects(post(fake, ev), { code: 'ECONNREFUSED' })
  await fake.comeBack()
  t.equal((await post(fake, answer(makeTriggered(), 'started'))).status, 200)
  t.equal(fake.received.length, 2)
})

t.test('lists triggered events by page with filters', async t => {
  const fake = await fakeFor(t)
  const cart = Array.from({ length: 5 }, () => makeTriggered({ service: 'cart' }))
  for (const ev of cart) fake.addTriggered(ev)
  fake.addTriggered(makeTriggered({ service: 'shipping' }))
  const base = '/controlPlane/v1/event/triggered/sh.keptn.event.deployment.triggered?service=cart&pageSize=2'
  const ids: string[] = []
  const keys: string[] = []
  let key = ''
  do {
    const res = await call(fake, 'GET', base + (key ? `&nextPageKey=${key}` : ''))
    t.equal(res.status, 200)
    t.equal(res.body.totalCount, 5)
    ids.push(...res.body.events.map((ev: KeptnCloudEvent) => ev.id))
    key = res.body.nextPageKey
    keys.push(key)
  } while (key !== '0')
  t.same(keys, ['2', '4', '0'])
  t.same(ids, cart.map(ev => ev.id))
  fake.removeTriggered(cart[0]!.id)
  const after = await call(fake, 'GET', base.replace('pageSize=2', 'pageSize=100'))
  t.equal(after.body.events.length, 4)
})

t.test('respondWith fails the next N requests, or all until heal', async t => {
  const fake = await fakeFor(t)
  fake.respondWith(503, 2)
  const ev = answer(makeTriggered(), 'started')
  t.equal((await post(fake, ev)).status, 503)
  t.equal((await post(fake, ev)).status, 503)
  t.equal((await post(fake, ev)).status, 200)
  fake.respondWith(429)
  for (let i = 0; i < 3; i++) t.equal((await post(fake, answer(makeTriggered(), 'started'))).status, 429)
  fake.heal()
  t.equal((await post(fake, answer(makeTriggered(), 'started'))).status, 200)
  t.equal(fake.received.length, 2)
})

t.test('delay holds answers back', async t => {
  const fake = await fakeFor(t)
  fake.delay(150)
  const start = Date.now()
  await post(fake, answer(makeTriggered(), 'started'))
  t.ok(Date.now() - start >= 140)
})

t.test('registers an integration, takes pings, and 404s pings once registrations are dropped', async t => {
  const fake = await fakeFor(t)
  const reg = { name: 'bridge', metadata: { hostname: 'pod-1', kubernetesmetadata: { namespace: 'keptn' } }, subscriptions: [] }
  const res = await call(fake, 'POST', '/controlPlane/v1/uniform/registration', reg)
  t.equal(res.status, 201)
  t.type(res.body.id, 'string')
  t.equal((await call(fake, 'POST', '/controlPlane/v1/uniform/registration', { name: 'bridge' })).status, 400)
  t.equal((await call(fake, 'PUT', `/controlPlane/v1/uniform/registration/${res.body.id}/ping`)).status, 200)
  t.equal(fake.heartbeats.length, 1)
  fake.dropRegistrations()
  t.equal((await call(fake, 'PUT', `/controlPlane/v1/uniform/registration/${res.body.id}/ping`)).status, 404)
})

t.test('waitFor resolves on arrival and rejects with what was received', async t => {
  const fake = await fakeFor(t)
  const waiting = fake.waitFor(f => f.received.length === 1)
  await post(fake, answer(makeTriggered(), 'started'))
  await waiting
  await t.rejects(fake.waitFor(f => f.received.length === 2, 50), /deployment\.started/)
})
