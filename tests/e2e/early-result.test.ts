import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { build, logCapture, manualClock, outboxDrained } from '../helpers/app.js'
import { createMemoryStore } from '../../app/store/memory/memory-store.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'
import { withKeptnFake, makeTriggered, type KeptnFake, pushTriggered, ofType } from '../helpers/keptn-fake.js'
import type { KeptnCloudEvent } from '../../schemas/keptn-event.js'
import { fluxEvent, fluxRequest } from '../helpers/flux.js'

// Flux can report before Keptn's triggered event reaches the bridge: CI pushes the new tag to Git
// and triggers Keptn at once, and the pull path lags up to KEPTN_POLL_INTERVAL. A result that
// names a version is held for EARLY_RESULT_WINDOW and finishes the deployment that asks for
// exactly that version when it arrives; nothing else.

const redisUrl = await testRedisUrl()
const podtato = { project: 'podtato', stage: 'dev', service: 'helloservice' }

function env (fake: KeptnFake, over: Record<string, string> = {}) {
  return { REDIS_URL: redisUrl, KEY_PREFIX: uniquePrefix(), KEPTN_API_URL: fake.url, KEPTN_API_TOKEN: fake.token, KEPTN_POLL_INTERVAL: '0', ...over }
}

const triggeredFor = (tag: string) =>
  makeTriggered({ ...podtato, configurationChange: { values: { image: `ghcr.io/podtato-head/podtato-server:v${tag}` } } })
const upgradedTo = (tag: string, extra: Record<string, string> = {}, timestamp = new Date()) => fluxRequest(fluxEvent({
  message: `Helm upgrade succeeded: podtato-server ${tag}`,
  timestamp: timestamp.toISOString().replace(/\.\d+Z$/, 'Z'),
  metadata: { revision: '0.3.2', 'app-version': tag, 'keptn-project': 'podtato', 'keptn-stage': 'dev', 'keptn-service': 'helloservice', ...extra }
}))
const push = (app: FastifyInstance, fake: KeptnFake, body: KeptnCloudEvent) =>
  app.inject(pushTriggered(fake, body))
const pendingIds = async (app: FastifyInstance) =>
  ((await app.inject('/api/v1/deployments')).json().pending as Array<{ triggeredId: string }>).map(p => p.triggeredId)

withKeptnFake(t, 'a Flux success that came first finishes the deployment of that version as soon as it is triggered', async (t, fake) => {
  const app = await build(t, env(fake))
  const first = upgradedTo('0.3.3')
  const early = await app.inject(first)
  t.equal(early.statusCode, 200)
  t.match(early.json(), { status: 'ignored', reason: 'no pending deployment' })

  const triggered = triggeredFor('0.3.3')
  t.equal((await push(app, fake, triggered)).statusCode, 202)
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  t.equal(ofType(fake, 'started').length, 1)
  t.match(ofType(fake, 'finished')[0], { triggeredid: triggered.id, data: { ...podtato, status: 'succeeded', result: 'pass' } })
  const started = fake.received.findIndex(e => e.type.endsWith('.started'))
  const finished = fake.received.findIndex(e => e.type.endsWith('.finished'))
  t.ok(started < finished, '.started is sent before .finished')
  t.same(await pendingIds(app), [])
  t.equal((await app.inject(first)).json().status, 'duplicate', 'Flux retrying the first event changes nothing')
})

withKeptnFake(t, 'a held result finishes only the deployment of its own version, and only once', async (t, fake) => {
  const app = await build(t, env(fake))
  await app.inject(upgradedTo('0.3.3'))
  const other = triggeredFor('0.3.4')
  t.equal((await push(app, fake, other)).statusCode, 202)
  const same = [triggeredFor('0.3.3'), triggeredFor('0.3.3')]
  for (const ev of same) t.equal((await push(app, fake, ev)).statusCode, 202)
  await fake.waitFor(f => ofType(f, 'started').length === 3 && ofType(f, 'finished').length === 1)
  // Everything the pushes queued has been sent: a second .finished would have been by now.
  await outboxDrained(app)
  t.same(ofType(fake, 'finished').map(e => e.triggeredid), [same[0]!.id], 'the first deployment asking for 0.3.3 is finished')
  t.same((await pendingIds(app)).sort(), [other.id, same[1]!.id].sort(), '0.3.4 and the second 0.3.3 still wait for Flux')
})

withKeptnFake(t, 'two results of a version that came first finish two deployments of it, one each', async (t, fake) => {
  const app = await build(t, env(fake))
  await app.inject(upgradedTo('0.3.3', {}, new Date(Date.now() - 2000)))
  await app.inject(upgradedTo('0.3.3'))
  const deployments = [triggeredFor('0.3.3'), triggeredFor('0.3.3'), triggeredFor('0.3.3')]
  for (const ev of deployments) t.equal((await push(app, fake, ev)).statusCode, 202)
  await fake.waitFor(f => ofType(f, 'started').length === 3 && ofType(f, 'finished').length === 2)
  await outboxDrained(app)
  t.same(ofType(fake, 'finished').map(e => e.triggeredid), [deployments[0]!.id, deployments[1]!.id])
  t.same(await pendingIds(app), [deployments[2]!.id], 'the third waits for Flux')
})

withKeptnFake(t, 'a result that names no version is not held: it cannot tell which deployment it answers', async (t, fake) => {
  const app = await build(t, env(fake))
  const kustomization = fluxRequest(fluxEvent({
    involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name: 'podtato-dev', apiVersion: 'kustomize.toolkit.fluxcd.io/v1' },
    reason: 'ReconciliationSucceeded',
    message: 'Deployment/podtato-dev/helloservice configured',
    metadata: { revision: 'main@sha1:3c5e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e', 'keptn-project': 'podtato', 'keptn-stage': 'dev', 'keptn-service': 'helloservice' }
  }))
  t.equal((await app.inject(kustomization)).json().reason, 'no pending deployment')
  const triggered = triggeredFor('0.3.3')
  await push(app, fake, triggered)
  await fake.waitFor(f => ofType(f, 'started').length === 1)
  await outboxDrained(app)
  t.equal(ofType(fake, 'finished').length, 0)
  t.same(await pendingIds(app), [triggered.id])
})

withKeptnFake(t, 'a held result runs out after EARLY_RESULT_WINDOW; 0 turns holding off', async (t, fake) => {
  const clock = manualClock(Date.now())
  const app = await build(t, env(fake, { EARLY_RESULT_WINDOW: '2m' }), { clock })
  await app.inject(upgradedTo('0.3.3', {}, new Date(clock())))
  clock.advance(2 * 60_000 + 1)
  const late = triggeredFor('0.3.3')
  await push(app, fake, late)

  const off = await build(t, env(fake, { EARLY_RESULT_WINDOW: '0' }))
  await off.inject(upgradedTo('0.3.3'))
  const unheld = triggeredFor('0.3.3')
  await push(off, fake, unheld)

  await fake.waitFor(f => ofType(f, 'started').length === 2)
  await outboxDrained(app)
  await outboxDrained(off)
  t.equal(ofType(fake, 'finished').length, 0, 'neither is finished by the early result')
  t.same(await pendingIds(app), [late.id])
  t.same(await pendingIds(off), [unheld.id])
})

withKeptnFake(t, 'a used held result finishes no second deployment, even after the delivery window when the hold is longer', async (t, fake) => {
  const clock = manualClock(Date.now())
  const app = await build(t, { ...env(fake), REDIS_URL: undefined, EARLY_RESULT_WINDOW: '1h' }, { clock, store: createMemoryStore() })
  await app.inject(upgradedTo('0.3.3', {}, new Date(clock())))
  clock.advance(60_000)
  const first = triggeredFor('0.3.3')
  await push(app, fake, first)
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  clock.advance(30 * 60_000)
  const second = triggeredFor('0.3.3')
  await push(app, fake, second)
  await fake.waitFor(f => ofType(f, 'started').length === 2)
  await outboxDrained(app)
  t.same(ofType(fake, 'finished').map(e => e.triggeredid), [first.id], 'the second deployment of 0.3.3 waits for Flux')
  t.same(await pendingIds(app), [second.id])
})

withKeptnFake(t, 'GitOps-first: a success that triggered a sequence still finishes the deployment of its version that Keptn asks for next', async (t, fake) => {
  const app = await build(t, env(fake, { TRIGGER_SEQUENCE: 'evaluation' }))
  const early = await app.inject(upgradedTo('2.0.0'))
  t.match(early.json(), { status: 'accepted', reason: 'triggered dev.evaluation' })
  const triggered = triggeredFor('2.0.0')
  t.equal((await push(app, fake, triggered)).statusCode, 202)
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  t.match(ofType(fake, 'finished')[0], { triggeredid: triggered.id, data: { status: 'succeeded', result: 'pass' } })
  t.same(await pendingIds(app), [])
})

withKeptnFake(t, 'two replicas taking two deployments of the held version at once: the result finishes one', async (t, fake) => {
  const shared = env(fake)
  const [a, b] = [await build(t, shared), await build(t, shared)]
  await a.inject(upgradedTo('0.3.3'))
  const both = [triggeredFor('0.3.3'), triggeredFor('0.3.3')] as const
  const answers = await Promise.all([push(a, fake, both[0]), push(b, fake, both[1]), push(b, fake, both[0]), push(a, fake, both[1])])
  t.same(answers.map(r => r.json().status).sort(), ['accepted', 'accepted', 'duplicate', 'duplicate'])
  await fake.waitFor(f => ofType(f, 'started').length === 2 && ofType(f, 'finished').length === 1)
  // a and b share the store, so one outbox.
  await outboxDrained(a)
  t.equal(ofType(fake, 'finished').length, 1, 'one .finished')
  t.equal((await pendingIds(a)).length, 1, 'the other deployment still waits for Flux')
})

withKeptnFake(t, 'looking for a held result is best effort: when it fails, Keptn gets what it would have got without it', async (t, fake) => {
  const store = createMemoryStore()
  const broken = Object.assign(Object.create(store) as typeof store, {
    heldResults: async () => { throw new Error('lookup failed') }
  })
  const log = logCapture()
  const app = await build(t, { ...env(fake), REDIS_URL: undefined, LOG_LEVEL: 'warn' }, { store: broken, logDestination: log.stream })
  t.match((await app.inject(upgradedTo('0.3.3'))).json(), { status: 'ignored', reason: 'no pending deployment' })
  const triggered = triggeredFor('0.3.3')
  t.equal((await push(app, fake, triggered)).statusCode, 202)
  await fake.waitFor(f => ofType(f, 'started').length === 1)
  t.same(await pendingIds(app), [triggered.id], 'the deployment waits for Flux as it would have')
  t.match(log.text(), /could not look for a result that came first.*lookup failed|lookup failed.*could not look for a result that came first/)
})
