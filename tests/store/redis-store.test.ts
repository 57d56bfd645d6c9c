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
