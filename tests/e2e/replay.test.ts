import t from 'tap'
import { Redis } from 'ioredis'
import { build, manualClock } from '../helpers/app.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'
import { makeTriggered } from '../helpers/keptn-fake.js'
import { fluxEvent, fluxRequest } from '../helpers/flux.js'

// Replay protection: a captured signed event must not finish tomorrow's deployment.

const podtato = { project: 'podtato', stage: 'dev', service: 'helloservice' }
const minute = 60_000
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')

async function withPending (t: Parameters<typeof build>[0], env: Record<string, string> = {}, data: Record<string, unknown> = podtato) {
  const clock = manualClock()
  const app = await build(t, env, { clock })
  const triggered = makeTriggered(data)
  await app.inject({ method: 'POST', url: '/events/keptn', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(triggered) })
  const pending = async () => (await app.inject('/api/v1/deployments')).json().pendingCount as number
  return { app, clock, triggered, pending }
}

t.test('a correctly signed event two hours old finishes nothing; the same event with a fresh timestamp does', async t => {
  const { app, clock, triggered, pending } = await withPending(t)
  const old = await app.inject(fluxRequest(fluxEvent({ timestamp: iso(clock() - 120 * minute) })))
  t.equal(old.statusCode, 200, 'answered 2xx so Flux does not retry it')
  t.same(old.json(), { status: 'ignored', reason: 'stale event' })
  t.equal(await pending(), 1, 'still pending')
  t.match((await app.inject('/metrics')).body, /kgb_events_received_total\{source="flux",reason="UpgradeSucceeded",result="ignored-stale"\} 1/)

  const fresh = await app.inject(fluxRequest(fluxEvent({ timestamp: iso(clock()) })))
  t.equal(fresh.statusCode, 202)
  t.match(fresh.json(), { status: 'accepted', triggeredId: triggered.id })
})

t.test('a future-dated event beyond the allowed clock skew is ignored; within it, accepted', async t => {
  const { app, clock } = await withPending(t)
  const future = await app.inject(fluxRequest(fluxEvent({ timestamp: iso(clock() + 5 * minute) })))
  t.same(future.json(), { status: 'ignored', reason: 'stale event' })
  const skewed = await app.inject(fluxRequest(fluxEvent({ timestamp: iso(clock() + minute) })))
  t.equal(skewed.statusCode, 202)
})

t.test('MAX_EVENT_AGE=0 turns the age check off', async t => {
  const { app, clock } = await withPending(t, { MAX_EVENT_AGE: '0' })
  const old = await app.inject(fluxRequest(fluxEvent({ timestamp: iso(clock() - 48 * 60 * minute) })))
  t.equal(old.statusCode, 202)
})

t.test('the de-duplication record outlives the age window (injected clock)', async t => {
  const { app, clock } = await withPending(t, { MAX_EVENT_AGE: '30m', MAX_CLOCK_SKEW: '2m' })
  // The longest an event stays acceptable: dated at the edge of the allowed future skew.
  const request = fluxRequest(fluxEvent({ timestamp: iso(clock() + 2 * minute) }))
  t.equal((await app.inject(request)).statusCode, 202)
  clock.advance(32 * minute - 1000)
  t.same((await app.inject(request)).json().status, 'duplicate', 'still recognised while young enough to be accepted')
  clock.advance(2000)
  t.same((await app.inject(request)).json(), { status: 'ignored', reason: 'stale event' }, 'then too old to act on')
})

t.test('in Redis the delivery record lives at least MAX_EVENT_AGE + MAX_CLOCK_SKEW', async t => {
  const prefix = uniquePrefix()
  const url = await testRedisUrl()
  const { app } = await withPending(t, { REDIS_URL: url, KEY_PREFIX: prefix, MAX_EVENT_AGE: '1h', MAX_CLOCK_SKEW: '5m' })
  t.equal((await app.inject(fluxRequest(fluxEvent({ timestamp: iso(manualClock()()) })))).statusCode, 202)
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  const keys = await redis.keys(`{${prefix}:*}:delivery:*`)
  t.equal(keys.length, 1)
  t.ok(await redis.pttl(keys[0]!) > 64 * minute, 'kept for the whole replay window')
})

t.test('a known commit that contradicts the expected one leaves the deployment open', async t => {
  const [oldSha, newSha] = ['a'.repeat(40), 'b'.repeat(40)]
  const { app, clock, pending } = await withPending(t, {}, { ...podtato, labels: { gitCommit: newSha } })
  const kustomization = (sha: string) => fluxEvent({
    timestamp: iso(clock()),
    involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name: 'podtato' },
    reason: 'ReconciliationSucceeded',
    reportingController: 'kustomize-controller',
    message: 'Reconciliation finished in 2s, next run in 10m0s',
    metadata: { revision: `main@sha1:${sha}`, 'keptn-project': 'podtato', 'keptn-stage': 'dev', 'keptn-service': 'helloservice' }
  })
  const oldCommit = await app.inject(fluxRequest(kustomization(oldSha)))
  t.match(oldCommit.json(), { status: 'ignored', reason: 'no pending deployment' })
  t.equal(await pending(), 1)
  const right = await app.inject(fluxRequest(kustomization(newSha)))
  t.equal(right.statusCode, 202)
  t.equal(await pending(), 0)
})

t.test('a chart\'s app-version is no evidence against an image: a values-only bump finishes its deployment', async t => {
  // helm-controller reports the chart's appVersion; Keptn's configurationChange only moved the image tag.
  const { app, clock, pending } = await withPending(t, {}, { ...podtato, configurationChange: { values: { image: 'ghcr.io/podtato-head/podtato-server:v0.3.3' } } })
  const sameChart = await app.inject(fluxRequest(fluxEvent({ timestamp: iso(clock()), metadata: { revision: '0.3.2', 'app-version': '0.3.2', 'keptn-project': 'podtato', 'keptn-stage': 'dev', 'keptn-service': 'helloservice' } })))
  t.equal(sameChart.statusCode, 202)
  t.equal(await pending(), 0)
})
