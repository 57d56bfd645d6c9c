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
