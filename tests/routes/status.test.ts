import t from 'tap'
import { build, logCapture } from '../helpers/app.js'
import { createMemoryStore } from '../../app/store/memory/memory-store.js'
import { makeTriggered } from '../helpers/keptn-fake.js'

t.test('GET / shows pending deployments on an escaped, self-refreshing HTML page', async t => {
  const app = await build(t)
  const ev = makeTriggered({ project: 'podtato', stage: 'dev', service: 'helloservice', labels: { note: '<script>alert(1)</script>' } })
  await app.inject({ method: 'POST', url: '/events/keptn', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(ev) })
  const res = await app.inject('/')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/html/)
  t.match(res.body, ev.id)
  t.match(res.body, /http-equiv="refresh"/)
  t.notMatch(res.body, /<script>alert/)
  t.match(res.body, /memory/, 'says which store it runs on')
})

t.test('GET /healthz, /readyz and /metrics', async t => {
  const app = await build(t)
  t.same((await app.inject('/healthz')).json(), { status: 'ok' })
  t.same((await app.inject('/readyz')).json(), { status: 'ready' })
  const metrics = await app.inject('/metrics')
  t.equal(metrics.statusCode, 200)
  t.match(metrics.body, /kgb_pending_deployments 0/)
  t.match(metrics.body, /kgb_store_up 1/)
  t.match(metrics.body, /process_cpu_user_seconds_total/)
})

t.test('an unexpected error is a 500 that hides internals and is logged', async t => {
  const logs = logCapture()
  const store = createMemoryStore()
  store.snapshot = async () => { throw new Error('internal detail: disk on fire') }
  const app = await build(t, { LOG_LEVEL: 'error' }, { store, logDestination: logs.stream })
  const res = await app.inject('/api/v1/deployments')
  t.equal(res.statusCode, 500)
  t.same(res.json(), { statusCode: 500, error: 'Internal Server Error', message: 'internal error' })
  t.match(logs.text(), /disk on fire/)
})

t.test('unknown routes are 404 with a reason', async t => {
  const app = await build(t)
  const res = await app.inject('/nope')
  t.equal(res.statusCode, 404)
  t.match(res.json().message, /Route GET:\/nope not found/)
})

t.test('STATUS_TOKEN: the status page and the JSON API answer 401 without it; a browser can log in with Basic; probes stay open', async t => {
  const token = 'status-token-0123456789abcdef'
  const log = logCapture()
  const app = await build(t, { STATUS_TOKEN: token, LOG_LEVEL: 'info' }, { logDestination: log.stream })
  for (const url of ['/', '/api/v1/deployments']) {
    const none = await app.inject(url)
    t.equal(none.statusCode, 401, `${url} without credentials`)
    t.match(none.headers['www-authenticate'], /^Basic realm="keptn-gitops-bridge"/, 'a browser asks for a password')
    t.notMatch(none.body, /pending/)
    t.equal((await app.inject({ url, headers: { authorization: 'Bearer wrong-token-0123456789abcdef' } })).statusCode, 401, `${url} wrong bearer`)
    t.equal((await app.inject({ url, headers: { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` } })).statusCode, 401, `${url} wrong password`)
    t.equal((await app.inject({ url, headers: { authorization: `Basic ${Buffer.from(token).toString('base64')}` } })).statusCode, 401, `${url} token without a user: is not user:password`)
    t.equal((await app.inject({ url, headers: { authorization: `Bearer ${token}` } })).statusCode, 200, `${url} bearer`)
    t.equal((await app.inject({ url, headers: { authorization: `Basic ${Buffer.from(`anyone:${token}`).toString('base64')}` } })).statusCode, 200, `${url} basic`)
  }
  for (const url of ['/metrics', '/healthz', '/readyz']) t.equal((await app.inject(url)).statusCode, 200, `${url} stays open for Prometheus and the kubelet`)
  t.notMatch(log.text(), new RegExp(token), 'the token is never logged')
})

t.test('NODE_ENV=production without STATUS_TOKEN warns at start-up', async t => {
  const log = logCapture()
  await build(t, { NODE_ENV: 'production', FLUX_HMAC_KEYS: 'a-production-key-0123456789abcdef0123', LOG_LEVEL: 'warn' }, { logDestination: log.stream })
  t.match(log.text(), /STATUS_TOKEN is not set/)
})

t.test('GET /api/v1/deployments pages: ?limit=N returns at most N pending deployments', async t => {
  const app = await build(t)
  for (let i = 0; i < 5; i++) {
    const ev = makeTriggered({ project: 'podtato', stage: 'dev', service: `svc-${i}` })
    await app.inject({ method: 'POST', url: '/events/keptn', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(ev) })
  }
  const page = (await app.inject('/api/v1/deployments?limit=2')).json()
  t.equal(page.pending.length, 2)
  t.equal(page.pendingCount, 5, 'the count says how many there are')
  t.equal((await app.inject('/api/v1/deployments?limit=nonsense')).json().pending.length, 5, 'a bad limit falls back to the default')
})

t.test('the self-refreshing status page reads only the 50 rows of each list it shows; the JSON API keeps its limit', async t => {
  const store = createMemoryStore()
  const asked: number[] = []
  const snapshot = store.snapshot.bind(store)
  store.snapshot = async limit => { asked.push(limit); return await snapshot(limit) }
  const app = await build(t, {}, { store })
  for (let i = 0; i < 60; i++) {
    const ev = makeTriggered({ project: 'podtato', stage: 'dev', service: `svc-${i}` })
    await app.inject({ method: 'POST', url: '/events/keptn', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(ev) })
  }
  const page = await app.inject('/')
  t.equal(page.statusCode, 200)
  t.same(asked, [50], 'the page asks for 50')
  t.match(page.body, /showing 50 of 60/)
  t.equal((await app.inject('/api/v1/deployments')).json().pending.length, 60, 'the API still defaults to 500')
  t.equal((await app.inject('/api/v1/deployments?limit=5000')).json().pending.length, 60)
  t.same(asked, [50, 500, 1000], 'and caps ?limit at 1000')
})
