import fp from 'fastify-plugin'
import type { Store } from '../app/core/store.js'
import { createMemoryStore } from '../app/store/memory/memory-store.js'
import { createRedisStore } from '../app/store/redis/redis-store.js'
import { connectRedis } from '../app/store/redis/connect.js'

declare module 'fastify' {
  interface FastifyInstance {
    store: Store
  }
}

const readyWaitMs = 5000

/** The store: Redis when configured, else the in-memory default (announced loudly). */
export default fp(async (app, opts: { store?: Store }) => {
  const { redis, keyPrefix } = app.config
  let store = opts.store
  if (!store && (redis.url || redis.clusterNodes || redis.sentinels)) {
    const client = connectRedis(redis)
    let lastError = ''
    client.on('error', (err: Error) => {
      if (err.message !== lastError) app.log.error({ err: err.message }, 'Redis connection error')
      lastError = err.message
    })
    client.on('ready', () => { lastError = ''; app.log.info('Redis connection ready') })
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, readyWaitMs)
      client.once('ready', () => { clearTimeout(timer); resolve() })
    })
    store = createRedisStore(client, keyPrefix, { waitReplicas: redis.waitReplicas })
  }
  if (!store) {
    app.log.warn('REDIS_URL is not set: using the IN-MEMORY store. Pending deployments and undelivered events are LOST on restart and not shared between replicas. Set REDIS_URL for production.')
    store = createMemoryStore()
  }
  app.decorate('store', store)
  app.addHook('onClose', async () => await store.close())
}, { name: 'store', dependencies: ['config'] })
