import t from 'tap'
import { Redis } from 'ioredis'
import { createRedisStore } from '../../app/store/redis/redis-store.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'
import { storeBehaviour } from './store-behaviour.js'

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
