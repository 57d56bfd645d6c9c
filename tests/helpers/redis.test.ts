import t from 'tap'
import { Redis } from 'ioredis'
import { startRedisServer } from './redis.js'

t.test('a private redis-server keeps appendonly data across a kill', async t => {
  const server = await startRedisServer({ appendonly: true })
  t.teardown(() => server.stop())
  const client = new Redis(server.url)
  await client.set('k', 'v')
  client.disconnect()
  await server.stop()
  await server.start()
  const again = new Redis(server.url)
  t.equal(await again.get('k'), 'v')
  again.disconnect()
})
