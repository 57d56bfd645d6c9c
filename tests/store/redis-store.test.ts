import { once } from 'node:events'
import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { createRedisStore } from '../../app/store/redis/redis-store.js'
import { startRedisServer, testRedisUrl, uniquePrefix } from '../helpers/redis.js'
import { storeBehaviour } from './store-behaviour.js'
import type { FinishedResult } from '../../app/core/types.js'
import { StoreUnavailableError, type ResolveRequest } from '../../app/core/store.js'
import { typed } from '../../app/store/redis/unavailable.js'

const url = await testRedisUrl()

storeBehaviour(t, async t => {
  const redis = new Redis(url)
  const store = createRedisStore(redis, uniquePrefix())
  t.teardown(() => store.close())
  return store
})

t.test('a lease limited to shards looks at those shards only', async t => {
  const redis = new Redis(url)
  const store = createRedisStore(redis, uniquePrefix())
  t.teardown(() => store.close())
  const services = Array.from({ length: 40 }, (_, i) => ({ project: 'p', stage: 's', service: `svc-${i}` }))
  const a = services[0]!
  const b = services.find(s => store.shardOf(s) !== store.shardOf(a))!
  t.not(store.shardOf(a), store.shardOf(b), 'two services in different shards')
  t.equal(new Set(services.map(s => store.shardOf(s))).size > 8, true, 'services spread over the shards')
  for (const [id, svc] of [['a', a], ['b', b]] as const) {
    await store.addTriggered({ ...svc, triggeredId: id, keptnContext: `ctx-${id}`, receivedAt: 1000, deadline: 1e12 }, 60_000, 1000)
  }
  t.same((await store.lease(1000, 60_000, 10, [store.shardOf(a)])).map(e => e.id), ['started:a'])
  t.same((await store.lease(1000, 60_000, 10, [])).map(e => e.id), [], 'no shards, nothing leased')
  t.same((await store.lease(1000, 60_000, 10)).map(e => e.id), ['started:b'], 'a full lease finds the other shard')
})

const key = { project: 'podtato', stage: 'dev', service: 'helloservice' }
const finished: FinishedResult = { status: 'succeeded', result: 'pass', message: 'ok', deploymentNames: ['helloservice'], source: 'flux', finishedAt: 1 }
const noPending = (deliveryId: string, version: string, now: number, holdMs: number): ResolveRequest =>
  ({ key, deliveryId, versions: [version], finished, dedupeTtlMs: 60_000, retentionMs: 60_000, now, holdMs })

async function storeWithPrefix (t: Test) {
  const redis = new Redis(url)
  const prefix = uniquePrefix()
  const store = createRedisStore(redis, prefix)
  t.teardown(() => store.close())
  return { redis, prefix, store }
}

t.test('held results live in their service\'s shard and Redis drops them when the hold runs out', async t => {
  const { redis, prefix, store } = await storeWithPrefix(t)
  t.same(await store.resolve(noPending('d1', '1.0.0', Date.now(), 300)), { status: 'no-pending' })
  const [held] = await redis.keys(`{${prefix}:*}:early:*`)
  t.equal(held, `{${prefix}:${store.shardOf(key)}}:early:podtato/dev/helloservice`)
  const ttl = await redis.pttl(held!)
  t.ok(ttl > 0 && ttl <= 300, `expires with the hold (${ttl} ms left)`)
  await new Promise(resolve => setTimeout(resolve, 400))
  t.equal(await redis.exists(held!), 0, 'gone without anyone reading it')
})

t.test('a service that keeps getting results holds only the live ones, not every result since the first', async t => {
  const { redis, prefix, store } = await storeWithPrefix(t)
  const start = Date.now()
  for (let i = 0; i < 30; i++) await store.resolve(noPending(`d${i}`, `1.0.${i}`, start + i * 2 * 60_000, 5 * 60_000))
  const last = start + 29 * 2 * 60_000
  const [held] = await redis.keys(`{${prefix}:*}:early:*`)
  t.ok(await redis.zcard(held!) <= 3, 'results that ran out were dropped as new ones came')
  t.same((await store.heldResults(key, last)).map(r => r.deliveryId), ['d27', 'd28', 'd29'])
})

t.test('a Redis that goes away is reported as StoreUnavailableError, not as its driver\'s words', async t => {
  const server = await startRedisServer()
  const redis = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 200 })
  const store = createRedisStore(redis, uniquePrefix())
  t.teardown(() => redis.disconnect())
  await once(redis, 'ready')
  await store.counts()
  await server.stop()
  const err = await store.lease(1, 1000, 1).then(() => undefined, (e: unknown) => e)
  t.type(err, StoreUnavailableError, 'typed, so the HTTP layer answers 503 without reading Redis text')
  t.equal((err as StoreUnavailableError).code, 'STORE_UNAVAILABLE')
  const script = new Error('ERR Error running script: attempt to compare nil with number')
  t.equal(typed(script), script, 'an error Redis gives for the request itself is not "away": retrying would not help')
})
