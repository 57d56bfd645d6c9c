import type { Test } from 'tap'
import { build, logCapture } from './app.js'
import { uniquePrefix } from './redis.js'
import { makeTriggered, pushTriggered, type KeptnFake, ofType } from './keptn-fake.js'
import { fluxEvent, fluxRequest } from './flux.js'

const podtato = { project: 'podtato', stage: 'dev', service: 'helloservice' }

/**
 * The whole loop once on a fresh app with this Redis environment: Keptn's triggered event pushed,
 * Flux reports success, Keptn gets one .started and one .finished (succeeded/pass), and the app
 * logged no Redis connection error on the way.
 */
export async function oneDeploymentFinishes (t: Test, fake: KeptnFake, redis: Record<string, string>): Promise<void> {
  const log = logCapture()
  const app = await build(t, {
    ...redis, KEY_PREFIX: uniquePrefix(), KEPTN_API_URL: fake.url, KEPTN_API_TOKEN: fake.token, KEPTN_POLL_INTERVAL: '0', LOG_LEVEL: 'info'
  }, { logDestination: log.stream })
  t.equal((await app.inject('/readyz')).statusCode, 200, 'ready')
  const before = { started: ofType(fake, 'started').length, finished: ofType(fake, 'finished').length }
  const triggered = makeTriggered(podtato)
  const pushed = await app.inject(pushTriggered(fake, triggered))
  t.equal(pushed.statusCode, 202)
  t.equal((await app.inject(fluxRequest(fluxEvent()))).statusCode, 202)
  await fake.waitFor(f => ofType(f, 'finished').length === before.finished + 1)
  t.equal(ofType(fake, 'started').length, before.started + 1, 'one .started')
  t.match(ofType(fake, 'finished').at(-1), { triggeredid: triggered.id, data: { ...podtato, status: 'succeeded', result: 'pass' } })
  t.notMatch(log.text(), /Redis connection error/, 'no connection error on the way')
}
