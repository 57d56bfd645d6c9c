import t from 'tap'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { build, logCapture } from '../helpers/app.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'
import { withKeptnFake, makeTriggered, pushTriggered, type KeptnFake, ofType } from '../helpers/keptn-fake.js'
import { createRemote, helloRelease, tempDir, writeTargets } from '../core/gitops/fixture.js'
import { waitFor } from '../helpers/wait.js'

// POST /events/keptn takes no credentials (Keptn's distributor sends none): a pushed event is a
// hint, and only what Keptn itself lists as an open deployment.triggered is acted on.

const redisUrl = await testRedisUrl()
const podtato = { project: 'podtato', stage: 'dev', service: 'helloservice' }
const env = (fake: KeptnFake, over: Record<string, string> = {}) =>
  ({ REDIS_URL: redisUrl, KEY_PREFIX: uniquePrefix(), KEPTN_API_URL: fake.url, KEPTN_API_TOKEN: fake.token, KEPTN_POLL_INTERVAL: '0', ...over })
const forge = (ev: unknown) => ({ method: 'POST' as const, url: '/events/keptn', headers: { 'content-type': 'application/cloudevents+json' }, payload: JSON.stringify(ev) })

withKeptnFake(t, 'a forged push (an id Keptn never issued) is ignored: no .started, nothing pending, counted', async (t, fake) => {
  const log = logCapture()
  const app = await build(t, { ...env(fake), LOG_LEVEL: 'warn' }, { logDestination: log.stream })
  const forged = makeTriggered({ ...podtato, configurationChange: { values: { image: 'evil.example/backdoor:1' } } })
  const res = await app.inject(forge(forged))
  t.equal(res.statusCode, 200)
  t.match(res.json(), { status: 'ignored', reason: /Keptn does not list this event/ })
  t.equal((await app.inject('/api/v1/deployments')).json().pending.length, 0)
  t.equal(ofType(fake, 'started').length, 0)
  t.match((await app.inject('/metrics')).body, /kgb_triggered_received_total\{path="push",result="unconfirmed"\} 1/)
  t.match(log.text(), /Keptn does not list as open/)
})

withKeptnFake(t, 'a push that changes a real event\'s service or image: only Keptn\'s copy counts', async (t, fake) => {
  const app = await build(t, env(fake))
  const real = makeTriggered({ ...podtato, configurationChange: { values: { image: 'ghcr.io/podtato-head/podtato-server:v0.3.2' } } })
  fake.addTriggered(real)
  const elsewhere = await app.inject(forge({ ...real, data: { ...real.data, service: 'payments' } }))
  t.match(elsewhere.json(), { status: 'ignored' }, 'the same id for another service is not Keptn\'s event')
  const otherImage = await app.inject(forge({ ...real, data: { ...real.data, configurationChange: { values: { image: 'evil.example/backdoor:1' } } } }))
  t.equal(otherImage.statusCode, 202)
  const pending = (await app.inject('/api/v1/deployments')).json().pending
  t.match(pending, [{ triggeredId: real.id, image: 'ghcr.io/podtato-head/podtato-server:v0.3.2' }], 'stored as Keptn has it, not as pushed')
})

withKeptnFake(t, 'a replayed push of an event Keptn has since closed is ignored', async (t, fake) => {
  const settings = env(fake, { RETENTION: '1s' })
  const app = await build(t, settings)
  const redis = new Redis(redisUrl)
  t.teardown(() => redis.quit())
  const real = makeTriggered(podtato)
  t.equal((await app.inject(pushTriggered(fake, real))).statusCode, 202)
  fake.removeTriggered(real.id)
  // RETENTION runs out: the id's markers (seen, owner) expire in Redis.
  await waitFor('the bridge has forgotten the id', async () => (await redis.keys(`{${settings.KEY_PREFIX}:*}:*:${real.id}`)).length === 0)
  const replay = await app.inject(forge(real))
  t.match(replay.json(), { status: 'ignored', reason: /Keptn does not list/ }, 'once the id is forgotten, Keptn decides, and it says closed')
})

withKeptnFake(t, 'Keptn unreachable: a push is answered 503 with Retry-After (the distributor retries), nothing taken on', async (t, fake) => {
  const app = await build(t, env(fake))
  const real = makeTriggered(podtato)
  fake.addTriggered(real)
  await fake.goDown()
  const res = await app.inject(forge(real))
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '5')
  t.equal((await app.inject('/api/v1/deployments')).json().pending.length, 0)
  await fake.comeBack()
  t.equal((await app.inject(forge(real))).statusCode, 202, 'taken on once Keptn answers')
})

withKeptnFake(t, 'with Git targets, a forged push writes nothing to Git', async (t, fake) => {
  const remote = await createRemote(t, { 'apps/dev/helloservice.yaml': helloRelease })
  const dir = await tempDir(t)
  const targets = await writeTargets(dir, remote.url)
  const app = await build(t, env(fake, { GIT_TARGETS: targets, GIT_WORKDIR: join(dir, 'work') }))
  const before = await remote.count()
  const forged = makeTriggered({ ...podtato, configurationChange: { values: { image: 'evil.example/backdoor:6.6.6' } } })
  t.match((await app.inject(forge(forged))).json(), { status: 'ignored' })
  // Writes to one clone run in turn: once a real deployment pushed after the forged one is
  // committed, any write the forged push had started would have been committed before it.
  const real = makeTriggered({ ...podtato, configurationChange: { values: { image: 'ghcr.io/podtato-head/podtato-server:v0.3.3' } } })
  t.equal((await app.inject(pushTriggered(fake, real))).statusCode, 202)
  await waitFor('the real deployment is committed', async () => await remote.count() > before)
  t.equal(await remote.count(), before + 1, 'one commit, the real deployment\'s: none for the forged push')
  t.match(await remote.show('apps/dev/helloservice.yaml'), /tag: "v0\.3\.3"/)
  t.notMatch(await remote.show('apps/dev/helloservice.yaml'), /6\.6\.6/)
})

t.test('GIT_TARGETS without KEPTN_API_URL stops start-up: nothing could confirm a pushed event', async t => {
  await t.rejects(build(t, { GIT_TARGETS: '/nonexistent.yaml' }), { message: /GIT_TARGETS: needs KEPTN_API_URL/ })
})

withKeptnFake(t, 'imagePattern bounds Git writes: an image outside it is never written and the deployment finishes errored, saying why', async (t, fake) => {
  const remote = await createRemote(t, { 'apps/dev/helloservice.yaml': helloRelease })
  const dir = await tempDir(t)
  const targets = await writeTargets(dir, remote.url, "    imagePattern: 'ghcr\\.io/podtato-head/podtato-server:v[0-9]+\\.[0-9]+\\.[0-9]+'\n")
  const app = await build(t, env(fake, { GIT_TARGETS: targets, GIT_WORKDIR: join(dir, 'work') }))
  const before = await remote.count()
  // A real Keptn event (confirmed), but for an image the target does not allow.
  const outside = makeTriggered({ ...podtato, configurationChange: { values: { image: 'ghcr.io/podtato-head/podtato-server:v0.3.2-evil@sha256:' + 'e'.repeat(64) } } })
  t.equal((await app.inject(pushTriggered(fake, outside))).statusCode, 202)
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  t.match(ofType(fake, 'finished')[0], { triggeredid: outside.id, data: { status: 'errored', result: 'fail', message: /does not match imagePattern .* of GIT_TARGETS targets\[0\]/ } })
  t.equal(await remote.count(), before, 'nothing written')
  const inside = makeTriggered({ ...podtato, configurationChange: { values: { image: 'ghcr.io/podtato-head/podtato-server:v0.3.3' } } })
  t.equal((await app.inject(pushTriggered(fake, inside))).statusCode, 202)
  await waitFor('the matching image is committed', async () => await remote.count() > before)
  t.match(await remote.show('apps/dev/helloservice.yaml'), /tag: "v0\.3\.3"/, 'a matching image is written')
})

withKeptnFake(t, 'oversized labels are refused at intake with a 400 saying why, before Keptn is even asked', async (t, fake) => {
  const app = await build(t, env(fake))
  const huge = makeTriggered({ ...podtato, labels: { blob: 'x'.repeat(900 * 1024) } })
  const res = await app.inject(pushTriggered(fake, huge))
  t.equal(res.statusCode, 400)
  t.match(res.json().message, /data\.labels: \d+ bytes, over 16384/)
  t.notOk(fake.requests.some(r => r.method === 'GET'), 'not confirmed: refused first')
  t.equal((await app.inject('/api/v1/deployments')).json().pending.length, 0)
})
