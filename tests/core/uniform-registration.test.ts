import t from 'tap'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { createKeptnClient } from '../../app/core/keptn-client.js'
import { startUniformRegistration } from '../../app/core/uniform-registration.js'
import { startKeptnFake } from '../helpers/keptn-fake.js'

async function setup (t: { teardown (fn: () => unknown): void }) {
  const fake = await startKeptnFake()
  t.teardown(() => fake.close())
  const client = createKeptnClient({ url: fake.url, token: fake.token, source: 'bridge-test', timeoutMs: 1000 })
  t.teardown(() => client.close())
  const lines: Array<Record<string, any>> = []
  const sink = new Writable({ write (chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done() } })
  const logger = pino({ level: 'info' }, sink)
  const start = () => {
    const registration = startUniformRegistration({ client, logger, name: 'keptn-gitops-bridge', namespace: 'keptn', hostname: 'pod-1', intervalMs: 20 })
    t.teardown(() => registration.stop())
    return registration
  }
  return { fake, lines, start }
}

t.test('registers once, then heartbeats with the id Keptn gave', async t => {
  const { fake, start } = await setup(t)
  start()
  await fake.waitFor(f => f.heartbeats.length >= 3)
  t.equal(fake.registrations.length, 1)
  t.match(fake.registrations[0]?.body, {
    name: 'keptn-gitops-bridge',
    metadata: { hostname: 'pod-1', kubernetesmetadata: { namespace: 'keptn' } },
    subscriptions: [{ event: 'sh.keptn.event.deployment.triggered' }]
  })
  t.ok(fake.heartbeats.every(h => h.id === fake.registrations[0]?.id))
})

t.test('a failing Keptn only logs warnings, and registration succeeds once it recovers', async t => {
  const { fake, lines, start } = await setup(t)
  fake.respondWith(503, 3)
  start()
  await fake.waitFor(f => f.heartbeats.length >= 1)
  const warnings = lines.filter(l => l.level === 40)
  t.equal(warnings.length, 3)
  t.match(warnings[0]?.msg, /registration failed/)
  t.equal(fake.registrations.length, 1)
})

t.test('registers again at once when Keptn has dropped the registration', async t => {
  const { fake, lines, start } = await setup(t)
  start()
  await fake.waitFor(f => f.heartbeats.length >= 1)
  fake.dropRegistrations()
  await fake.waitFor(f => f.registrations.length === 2 && f.heartbeats.length >= 2)
  t.match(fake.rejected, [{ status: 404 }], 'the heartbeat after the drop was refused')
  t.equal(fake.registrations.length, 2)
  const after404 = fake.requests.findIndex(r => r.status === 404)
  t.match(fake.requests[after404 + 1], { method: 'POST' }, 'the next request registers again, without waiting for another tick')
  t.notOk(lines.some(l => l.level >= 40), 'a forgotten registration is not logged as a failure')
  t.ok(lines.some(l => /registering again/.test(l.msg)))
})

t.test('stop ends registration and heartbeats', async t => {
  const { fake, start } = await setup(t)
  const registration = start()
  await fake.waitFor(f => f.heartbeats.length >= 1)
  await registration.stop()
  const seen = fake.requests.length
  await new Promise(resolve => setTimeout(resolve, 100))
  t.equal(fake.requests.length, seen)
})
