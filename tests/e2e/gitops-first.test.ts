import t from 'tap'
import { Redis } from 'ioredis'
import { build, logCapture, outboxDrained } from '../helpers/app.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'
import { withKeptnFake, type KeptnFake } from '../helpers/keptn-fake.js'
import { fluxEvent, fluxRequest } from '../helpers/flux.js'
import { waitFor } from '../helpers/wait.js'

// GitOps-first: Flux deploys, Keptn's sequence follows, once per revision.

const redisUrl = await testRedisUrl()
const mapped = { 'keptn-project': 'podtato', 'keptn-stage': 'dev', 'keptn-service': 'helloservice' }

function envFor (fake: KeptnFake, over: Record<string, string> = {}) {
  return { REDIS_URL: redisUrl, KEY_PREFIX: uniquePrefix(), KEPTN_API_URL: fake.url, KEPTN_API_TOKEN: fake.token, KEPTN_POLL_INTERVAL: '0', TRIGGER_SEQUENCE: 'evaluation', ...over }
}

const sequences = (fake: KeptnFake) => fake.received.filter(e => /^sh\.keptn\.event\.dev\.[a-z-]+\.triggered$/.test(e.type))
const deployed = (revision: string, over: Record<string, unknown> = {}) =>
  fluxEvent({ message: `Helm upgrade succeeded with chart podtato-head@${revision}`, metadata: { revision, ...mapped }, ...over })

withKeptnFake(t, 'a Flux success with no pending deployment triggers the sequence once per revision, again for a new one', async (t, fake) => {
  const env = envFor(fake)
  const [a, b] = [await build(t, env), await build(t, env)]
  const deployedAt = new Date(Date.now() - 30_000)
  const first = await a.inject(fluxRequest(deployed('0.3.2', { timestamp: deployedAt.toISOString().replace(/\.\d+Z$/, 'Z') })))
  t.equal(first.statusCode, 202)
  t.match(first.json(), { status: 'accepted', reason: 'triggered dev.evaluation', project: 'podtato' })
  await fake.waitFor(f => sequences(f).length === 1)
  t.match(sequences(fake)[0], {
    type: 'sh.keptn.event.dev.evaluation.triggered',
    data: {
      project: 'podtato',
      stage: 'dev',
      service: 'helloservice',
      labels: { 'gitops.kind': 'HelmRelease', 'gitops.namespace': 'podtato-dev', 'gitops.name': 'helloservice', 'gitops.revision': '0.3.2' }
    }
  })
  // lighthouse errors an evaluation without a window: EVALUATION_WINDOW (5m) from the deployment.
  const seconds = Math.floor(deployedAt.getTime() / 1000) * 1000
  t.same((sequences(fake)[0]!.data as { evaluation: unknown }).evaluation,
    { start: new Date(seconds).toISOString(), end: new Date(seconds + 5 * 60_000).toISOString() }, 'the evaluation window, in Keptn\'s time format')

  const again = deployed('0.3.2', { timestamp: new Date(Date.now() + 1000).toISOString().replace(/\.\d+Z$/, 'Z'), message: 'reconciled again' })
  const answers = await Promise.all([a.inject(fluxRequest(again)), b.inject(fluxRequest(again)), b.inject(fluxRequest(deployed('0.3.2')))])
  t.same(answers.map(r => r.statusCode), [200, 200, 200], 'repeats of the same revision trigger nothing')

  t.equal((await b.inject(fluxRequest(deployed('0.3.3')))).statusCode, 202, 'a new revision triggers again')
  await fake.waitFor(f => sequences(f).length === 2)
  // a and b share one outbox: once it is empty, no third sequence is on its way.
  await outboxDrained(a)
  t.same(sequences(fake).map(e => (e.data as { labels: Record<string, string> }).labels['gitops.revision']), ['0.3.2', '0.3.3'])
  t.not(sequences(fake)[0]!.shkeptncontext, sequences(fake)[1]!.shkeptncontext, 'each sequence has its own context')
})

withKeptnFake(t, 'a revision stays triggered for RETENTION: a reconciliation of it hours later triggers nothing', async (t, fake) => {
  const env = envFor(fake, { RETENTION: '3d' })
  const app = await build(t, env)
  t.equal((await app.inject(fluxRequest(deployed('0.4.0')))).statusCode, 202)
  const redis = new Redis(redisUrl)
  t.teardown(() => redis.quit())
  const [marker] = await redis.keys(`{${env.KEY_PREFIX}:*}:sequence:*`)
  const ttl = await redis.pttl(marker!)
  t.ok(ttl > 3 * 24 * 3600_000 - 60_000 && ttl <= 3 * 24 * 3600_000, `the revision's marker lives for RETENTION (${ttl} ms)`)
})

withKeptnFake(t, 'a failure triggers nothing and is counted', async (t, fake) => {
  const env = envFor(fake)
  const app = await build(t, env)
  const res = await app.inject(fluxRequest(deployed('0.3.4', { severity: 'error', reason: 'UpgradeFailed', message: 'Helm upgrade failed: image pull backoff' })))
  t.equal(res.statusCode, 200)
  t.match(res.json(), { status: 'ignored', reason: 'failure with no pending deployment: nothing triggered' })
  // Whatever the failure might have queued has been sent by now.
  await outboxDrained(app)
  t.same(sequences(fake), [])
  t.match((await app.inject('/metrics')).body, /kgb_events_received_total\{source="flux",reason="UpgradeFailed",result="ignored-no-pending"\} 1/)
})

withKeptnFake(t, 'a keptn-sequence annotation overrides the sequence name, even with TRIGGER_SEQUENCE unset', async (t, fake) => {
  const env = envFor(fake, { TRIGGER_SEQUENCE: '' })
  const app = await build(t, env)
  await app.inject(fluxRequest(deployed('1.0.0', { metadata: { revision: '1.0.0', ...mapped, 'keptn-sequence': 'smoke-test' } })))
  await fake.waitFor(f => sequences(f).length === 1)
  t.equal(sequences(fake)[0]!.type, 'sh.keptn.event.dev.smoke-test.triggered')
  const plain = await app.inject(fluxRequest(deployed('1.0.1')))
  t.match(plain.json(), { status: 'ignored', reason: 'no pending deployment' }, 'without it nothing is triggered')
})

withKeptnFake(t, 'KEPTN_REGISTER=true registers the bridge as a Keptn uniform', async (t, fake) => {
  const env = envFor(fake, { KEPTN_REGISTER: 'true' })
  const app = await build(t, env)
  await app.ready()
  await fake.waitFor(f => f.registrations.length === 1)
  t.match(fake.registrations[0]!.body, {
    name: 'keptn-gitops-bridge',
    subscriptions: [{ event: 'sh.keptn.event.deployment.triggered' }]
  })
})

t.test('KEPTN_REGISTER=true without KEPTN_API_URL says it does not register, and never claims it did', async t => {
  const logs = logCapture()
  await build(t, { KEPTN_REGISTER: 'true', LOG_LEVEL: 'info' }, { logDestination: logs.stream })
  // The app is ready (build waited for it) and says it does not register: the decision is made.
  await waitFor('the warning is logged', () => /KEPTN_REGISTER=true but KEPTN_API_URL is not set: NOT registering/.test(logs.text()))
  t.match(logs.text(), /KEPTN_REGISTER=true but KEPTN_API_URL is not set: NOT registering/)
  t.notMatch(logs.text(), /registered with Keptn uniform/)
})
