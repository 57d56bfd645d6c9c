import t from 'tap'
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { build } from '../helpers/app.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'
import { withKeptnFake, makeTriggered, type KeptnFake, pushTriggered, ofType } from '../helpers/keptn-fake.js'
import { fluxRequest } from '../helpers/flux.js'
import type { KeptnCloudEvent } from '../../schemas/keptn-event.js'

// Argo CD is a second source on the same engine: switching tools must not change what Keptn sees.

const redisUrl = await testRedisUrl()
const token = 'argocd-token-0123456789'
const podtato = { project: 'podtato', stage: 'dev', service: 'helloservice' }
const nowIso = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z')

function fixture (name: string): { app: Record<string, any>, trigger: string } {
  const notification = JSON.parse(readFileSync(new URL(`../fixtures/argocd/${name}.json`, import.meta.url), 'utf8'))
  const status = notification.app.status
  if (status.operationState?.finishedAt) status.operationState.finishedAt = nowIso()
  if (status.reconciledAt) status.reconciledAt = nowIso()
  return notification
}

function fluxFixture (name: string) {
  const event = JSON.parse(readFileSync(new URL(`../fixtures/flux/${name}.json`, import.meta.url), 'utf8'))
  return { ...event, timestamp: nowIso() }
}

const argo = (body: unknown, auth = `Bearer ${token}`) => ({
  method: 'POST' as const,
  url: '/hooks/argocd',
  headers: { 'content-type': 'application/json', authorization: auth },
  payload: JSON.stringify(body)
})

const env = (fake: KeptnFake, over: Record<string, string> = {}) =>
  ({ REDIS_URL: redisUrl, KEY_PREFIX: uniquePrefix(), KEPTN_API_URL: fake.url, KEPTN_API_TOKEN: fake.token, KEPTN_POLL_INTERVAL: '0', ARGOCD_WEBHOOK_TOKEN: token, ...over })

async function trigger (app: FastifyInstance, fake: KeptnFake, data = podtato) {
  const ev = makeTriggered(data)
  await app.inject(pushTriggered(fake, ev))
  return ev
}

withKeptnFake(t, 'Synced and Healthy finishes succeeded/pass; repeated notifications give one .finished', async (t, fake) => {
  const app = await build(t, env(fake))
  const triggered = await trigger(app, fake)
  const body = fixture('app-synced-healthy')
  const first = await app.inject(argo(body))
  t.equal(first.statusCode, 202)
  t.match(first.json(), { status: 'accepted', ...podtato, triggeredId: triggered.id })
  t.equal((await app.inject(argo(body))).json().status, 'duplicate')
  t.equal((await app.inject(argo({ ...body, trigger: 'on-deployed-again' }))).json().status, 'duplicate', 'the same sync state is one delivery')
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  t.match(ofType(fake, 'finished')[0], { triggeredid: triggered.id, data: { status: 'succeeded', result: 'pass', deployment: { gitCommit: '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8' } } })
})

withKeptnFake(t, 'Degraded finishes errored/fail; Running finishes nothing', async (t, fake) => {
  const app = await build(t, env(fake))
  const triggered = await trigger(app, fake)
  const running = await app.inject(argo(fixture('app-running')))
  t.equal(running.statusCode, 200)
  t.match(running.json(), { status: 'ignored', reason: /not a deployment outcome/ })
  t.equal((await app.inject(argo(fixture('app-degraded')))).statusCode, 202)
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  t.match(ofType(fake, 'finished')[0], { triggeredid: triggered.id, data: { status: 'errored', result: 'fail' } })
})

withKeptnFake(t, 'a missing or wrong token is 401; an unset token in production disables the hook', async (t, fake) => {
  const app = await build(t, env(fake))
  t.equal((await app.inject(argo(fixture('app-synced-healthy'), 'Bearer wrong-token-0123456789'))).statusCode, 401)
  t.equal((await app.inject(argo(fixture('app-synced-healthy'), ''))).statusCode, 401)
  const bad = await app.inject(argo({ app: { metadata: {} } }))
  t.equal(bad.statusCode, 400)
  t.match(bad.json().message, /\/app\/metadata\/name/)
  const production = await build(t, env(fake, { NODE_ENV: 'production', ARGOCD_WEBHOOK_TOKEN: '' }))
  t.equal((await production.inject(argo(fixture('app-synced-healthy'), ''))).statusCode, 404)
})

withKeptnFake(t, 'the same scenario through Flux and through Argo CD yields the same Keptn events apart from ids and times', async (t, fake) => {
  const run = async (send: (app: FastifyInstance) => Promise<void>) => {
    const app = await build(t, env(fake))
    const before = fake.received.length
    const triggered = makeTriggered(podtato, { id: 'same-triggered-id', shkeptncontext: 'c0ffee00-0000-4000-8000-000000000001' })
    await app.inject(pushTriggered(fake, triggered))
    await send(app)
    await fake.waitFor(f => f.received.length === before + 2)
    await app.close()
    return fake.received.slice(before).map(({ id, time, ...rest }: KeptnCloudEvent) => rest)
  }
  const viaFlux = await run(async app => {
    t.equal((await app.inject(fluxRequest(fluxFixture('kustomization-reconciliation-succeeded')))).statusCode, 202)
  })
  fake.violations.length = 0 // the same triggered id answered twice on purpose: once per tool
  const viaArgo = await run(async app => {
    t.equal((await app.inject(argo(fixture('app-synced-healthy')))).statusCode, 202)
  })
  fake.violations.length = 0
  t.same(viaArgo, viaFlux)
  t.same(viaFlux.map(e => e.type), ['sh.keptn.event.deployment.started', 'sh.keptn.event.deployment.finished'])
})

withKeptnFake(t, 'made-up sync states and health statuses count as one `other` series, not one each', async (t, fake) => {
  const app = await build(t, env(fake))
  for (let i = 0; i < 200; i++) {
    const body = fixture('app-synced-healthy')
    body.app.metadata.name = `app-${i}`
    body.app.status.health.status = `Invented${i}`
    body.app.status.operationState.phase = `Phase${i}`
    t.equal((await app.inject(argo(body))).statusCode, 200)
  }
  const scrape = (await app.inject('/metrics')).body
  const series = scrape.split('\n').filter(line => line.startsWith('kgb_events_received_total{'))
  t.ok(series.length <= 3, `few series: ${series.length}`)
  t.match(scrape, /kgb_events_received_total\{source="argocd",reason="other",result="ignored-not-outcome"\} 200/)
  t.notMatch(scrape, /Invented|Phase\d/)
})
