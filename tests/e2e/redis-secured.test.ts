import t from 'tap'
import { Redis } from 'ioredis'
import { build, logCapture } from '../helpers/app.js'
import { startRedisServer, uniquePrefix } from '../helpers/redis.js'
import { bridgeEnv, clientOptions, testCertificates, type RedisSecurity } from '../helpers/redis-security.js'
import { withKeptnFake } from '../helpers/keptn-fake.js'
import { fluxEvent, fluxRequest } from '../helpers/flux.js'
import { oneDeploymentFinishes } from '../helpers/scenario.js'

// A single Redis that asks for a password and speaks only TLS with client certificates (Redis'
// default `tls-auth-clients yes`): the bridge works against it as configured by a user, and says
// clearly, without leaking the secret, when the password or the CA is wrong.

const password = 'redis-secret-0123456789'
const secured: RedisSecurity = { password, tls: testCertificates() }
const server = await startRedisServer(secured)
t.teardown(() => server.stop())

/**
 * Builds against a Redis the bridge cannot use, and returns what it answers and logs. Each build
 * waits out the store's 5 s ready wait, so the cases below start together.
 */
async function refused (redis: Record<string, string>) {
  const log = logCapture()
  const app = await build(t, { ...redis, KEY_PREFIX: uniquePrefix(), LOG_LEVEL: 'info' }, { logDestination: log.stream })
  const ready = await app.inject('/readyz')
  const flux = await app.inject(fluxRequest(fluxEvent()))
  const redisError = log.parsed().find(line => line.msg === 'Redis connection error')?.err
  return { ready: ready.statusCode, flux: flux.statusCode, retryAfter: flux.headers['retry-after'], redisError, log: log.text() }
}

const wrong = 'not-the-password-987654'
const tlsOnly = bridgeEnv({ tls: secured.tls })
const refusals = {
  wrongPassword: refused({ REDIS_URL: server.url.replace('//', `//:${wrong}@`), ...tlsOnly }),
  noPassword: refused({ REDIS_URL: server.url, ...tlsOnly }),
  otherCa: refused({ REDIS_URL: server.url, ...bridgeEnv(secured), REDIS_TLS_CA_FILE: secured.tls!.otherCa }),
  noClientCertificate: refused({ REDIS_URL: server.url, REDIS_PASSWORD: password, REDIS_TLS_CA_FILE: secured.tls!.ca }),
  plainTcp: refused({ REDIS_URL: server.url.replace('rediss:', 'redis:'), REDIS_PASSWORD: password })
}
// A case that throws fails its own test below, not the whole process before that test runs.
for (const refusal of Object.values(refusals)) refusal.catch(() => {})

withKeptnFake(t, 'REDIS_PASSWORD with rediss:// and a client certificate: a deployment is finished', async (t, fake) => {
  await oneDeploymentFinishes(t, fake, { REDIS_URL: server.url, ...bridgeEnv(secured) })
})

withKeptnFake(t, 'the password in the URL works as well', async (t, fake) => {
  const withPassword = server.url.replace('//', `//:${password}@`)
  await oneDeploymentFinishes(t, fake, { REDIS_URL: withPassword, ...bridgeEnv({ tls: secured.tls }) })
})

withKeptnFake(t, 'an ACL user: REDIS_USERNAME with REDIS_PASSWORD, or both in the URL', async (t, fake) => {
  const admin = new Redis(server.url, clientOptions(secured))
  t.teardown(() => admin.quit())
  await admin.call('ACL', 'SETUSER', 'bridge', 'on', '>bridge-secret-0123', '~*', '&*', '+@all')
  const tls = bridgeEnv({ tls: secured.tls })
  await oneDeploymentFinishes(t, fake, { REDIS_URL: server.url, REDIS_USERNAME: 'bridge', REDIS_PASSWORD: 'bridge-secret-0123', ...tls })
  await oneDeploymentFinishes(t, fake, { REDIS_URL: server.url.replace('//', '//bridge:bridge-secret-0123@'), ...tls })
})

t.test('a wrong password: not ready, webhooks answered 503, the error logged without the secret', async t => {
  const seen = await refusals.wrongPassword
  t.equal(seen.ready, 503)
  t.equal(seen.flux, 503)
  t.equal(seen.retryAfter, '15')
  t.match(seen.redisError, /^WRONGPASS/)
  t.notMatch(seen.log, wrong)
})

t.test('no password: not ready, and the log says Redis wants one', async t => {
  const seen = await refusals.noPassword
  t.equal(seen.ready, 503)
  t.match(seen.redisError, /^NOAUTH/)
})

t.test('a CA that did not sign the server certificate: not ready, a certificate error in the log', async t => {
  const seen = await refusals.otherCa
  t.equal(seen.ready, 503)
  t.match(seen.redisError, /certificate/)
  t.notMatch(seen.log, password)
})

t.test('no client certificate where Redis asks for one: not ready', async t => {
  const seen = await refusals.noClientCertificate
  t.equal(seen.ready, 503)
  // Redis ends the handshake with an alert, or resets the connection before the alert is read.
  t.match(seen.redisError, /certificate required|ECONNRESET/)
})

t.test('plain TCP to a TLS-only Redis: not ready rather than hanging', async t => {
  const seen = await refusals.plainTcp
  t.equal(seen.ready, 503)
  t.equal(seen.flux, 503)
})
