import { readFileSync } from 'node:fs'
import { Cluster, Redis, type RedisOptions } from 'ioredis'
import type { Config } from '../../../schemas/config.js'
import type { RedisClient } from './redis-store.js'

function hostPort (item: string): { host: string, port: number } {
  const at = item.lastIndexOf(':')
  return { host: item.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(item.slice(at + 1)) }
}

/**
 * Connects in the configured mode. Commands fail at once while Redis is away (no offline queue),
 * so a request that cannot be stored is answered 503 instead of hanging or being half done.
 */
export function connectRedis (redis: Config['redis']): RedisClient {
  const tls = redis.tlsCaFile || redis.url?.startsWith('rediss:')
    ? { ca: redis.tlsCaFile ? readFileSync(redis.tlsCaFile) : undefined }
    : undefined
  const common: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 5000,
    connectTimeout: 5000,
    retryStrategy: times => Math.min(times * 200, 2000),
    password: redis.password,
    tls
  }
  if (redis.clusterNodes) {
    return new Cluster(redis.clusterNodes.map(hostPort), {
      enableOfflineQueue: false,
      clusterRetryStrategy: times => Math.min(times * 200, 2000),
      redisOptions: common
    })
  }
  if (redis.sentinels) {
    return new Redis({
      ...common,
      sentinels: redis.sentinels.map(hostPort),
      name: redis.sentinelName,
      sentinelPassword: redis.password,
      enableTLSForSentinelMode: Boolean(tls)
    })
  }
  return new Redis(redis.url!, common)
}
