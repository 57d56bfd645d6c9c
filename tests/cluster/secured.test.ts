import t from 'tap'
import { build, logCapture } from '../helpers/app.js'
import { uniquePrefix } from '../helpers/redis.js'
import { startRedisCluster, startSentinelSetup } from '../helpers/redis-cluster.js'
import { bridgeEnv, testCertificates, type RedisSecurity } from '../helpers/redis-security.js'
import { withKeptnFake } from '../helpers/keptn-fake.js'
import { fluxEvent, fluxRequest } from '../helpers/flux.js'
import { oneDeploymentFinishes } from '../helpers/scenario.js'

// How sentinels and cluster nodes are secured varies between installations: the sentinels may have
// a password of their own or none while the data nodes ask for one. (Passwords and TLS everywhere,
// through a failover, are in sentinel-failover.test.ts.)

t.setTimeout(120_000)

const password = 'redis-secret-0123456789'

const setups: Array<[string, RedisSecurity]> = [
  ['sentinels with a password of their own (REDIS_SENTINEL_PASSWORD)', { password, sentinelPassword: 'sentinel-secret-0123' }],
  ['open sentinels in front of password-protected data nodes (REDIS_PASSWORD only)', { password, sentinelPassword: false }],
  ['sentinels and data nodes on TLS without passwords', { tls: testCertificates() }]
]
for (const [name, security] of setups) {
  withKeptnFake(t, `Sentinel, ${name}: a deployment is finished`, async (t, fake) => {
    const setup = await startSentinelSetup({ security })
    t.teardown(() => setup.stop())
    await oneDeploymentFinishes(t, fake, { REDIS_SENTINELS: setup.sentinels.join(','), REDIS_SENTINEL_NAME: setup.name, ...bridgeEnv(security) })
  })
}

t.test('a Cluster asking for a password the bridge gets wrong: not ready, 503, the error logged without the secret', async t => {
  const cluster = await startRedisCluster({ masters: 3, security: { password } })
  t.teardown(() => cluster.stop())
  const wrong = 'wrong-secret-0123456789'
  const log = logCapture()
  const app = await build(t, { REDIS_CLUSTER_NODES: cluster.nodes.join(','), REDIS_PASSWORD: wrong, KEY_PREFIX: uniquePrefix(), LOG_LEVEL: 'info' },
    { logDestination: log.stream })
  t.equal((await app.inject('/readyz')).statusCode, 503)
  t.equal((await app.inject(fluxRequest(fluxEvent()))).statusCode, 503)
  t.match(log.text(), /Redis connection error/)
  t.notMatch(log.text(), wrong)
})

withKeptnFake(t, 'a TLS Cluster whose certificates name the host, not its address, seeded by name: a deployment is finished', async (t, fake) => {
  const security: RedisSecurity = { tls: testCertificates(), namedOnly: true }
  const cluster = await startRedisCluster({ masters: 3, security })
  t.teardown(() => cluster.stop())
  const byName = cluster.nodes.map(node => node.replace('127.0.0.1', 'localhost'))
  await oneDeploymentFinishes(t, fake, { REDIS_CLUSTER_NODES: byName.join(','), ...bridgeEnv(security) })
})
