import t from 'tap'
import { once } from 'node:events'
import type { Cluster } from 'ioredis'
import { connectRedis } from '../../app/store/redis/connect.js'
import { createRedisStore } from '../../app/store/redis/redis-store.js'
import { keyBuilder, shardCount } from '../../app/store/redis/keys.js'
import { startRedisCluster, command } from '../helpers/redis-cluster.js'
import { uniquePrefix } from '../helpers/redis.js'
import { testConfig } from '../helpers/app.js'
import { storeBehaviour, triggered } from '../store/store-behaviour.js'

const cluster = await startRedisCluster({ masters: 3 })
t.teardown(() => cluster.stop())

async function connect () {
  const client = connectRedis(testConfig({ REDIS_CLUSTER_NODES: cluster.nodes.join(',') }).redis) as Cluster
  if (client.status !== 'ready') await once(client, 'ready')
  return client
}

t.test('the Store behaviour suite passes unchanged on a 3-master cluster', async t => {
  storeBehaviour(t, async t => {
    const store = createRedisStore(await connect(), uniquePrefix())
    t.teardown(() => store.close())
    return store
  })
})

t.test('every key of one service shares a slot; the 16 shards spread over all three masters', async t => {
  const keys = keyBuilder('kgb')
  const service = { project: 'podtato', stage: 'dev', service: 'helloservice' }
  const k = keys.forKey(service)
  const all = [k.pendingOf(service), k.pendingData, k.deadlines, k.seenTriggered('t1'), k.delivery('d1'),
    k.sequence(service, '0.3.2'), k.outbox, k.due, k.dead, k.recent]
  const slots = await Promise.all(all.map(key => command(cluster.nodes[0]!, 'CLUSTER', 'KEYSLOT', key)))
  t.equal(new Set(slots).size, 1, `one slot for ${all.length} keys`)

  const owners = new Map<number, string>()
  for (const [from, to, [host, port]] of await command(cluster.nodes[0]!, 'CLUSTER', 'SLOTS') as Array<[number, number, [string, number]]>) {
    for (let slot = from; slot <= to; slot++) owners.set(slot, `${host}:${port}`)
  }
  const shardOwners = await Promise.all(Array.from({ length: shardCount }, async (_, n) =>
    owners.get(await command(cluster.nodes[0]!, 'CLUSTER', 'KEYSLOT', keys.shard(n).outbox) as number)))
  t.same(new Set(shardOwners), new Set(cluster.nodes), 'each master owns some shards')

  const store = createRedisStore(await connect(), 'kgb')
  t.teardown(() => store.close())
  for (let i = 0; i < 48; i++) await store.addTriggered(triggered(`s${i}`, { service: `service-${i}` }), 60_000, 1000)
  const sizes = await Promise.all(cluster.nodes.map(node => command(node, 'DBSIZE')))
  t.ok(sizes.every(size => (size as number) > 0), `every master holds data (${sizes.join(', ')} keys)`)
  t.equal((await store.snapshot(100)).pendingCount, 48, 'and one snapshot sees it all')
})
