import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import { Cluster, Redis, type DNSLookupFunction, type RedisOptions } from 'ioredis'
import type { Config } from '../../../schemas/config.js'
import type { RedisClient } from './redis-store.js'

function hostPort (item: string): { host: string, port: number } {
  const at = item.lastIndexOf(':')
  return { host: item.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(item.slice(at + 1)) }
}

function tlsOptions (tls: Config['redis']['tls']): ConnectionOptions | undefined {
  if (!tls) return undefined
  const read = (path?: string) => path ? readFileSync(path) : undefined
  return { ca: read(tls.caFile), cert: read(tls.certFile), key: read(tls.keyFile) }
}

// ioredis dials Cluster seeds by the address it looks up, so TLS would check a certificate that
// names the host (ElastiCache, most in-cluster certificates) against an IP: dial them by name.
const byName: DNSLookupFunction = (host, callback) => callback(null, host)

/**
 * Connects in the configured mode. Commands fail at once while Redis is away (no offline queue),
 * so a request that cannot be stored is answered 503 instead of hanging or being half done.
 * Credentials and TLS apply to every node, and in Sentinel mode to the sentinels too; a username
 * or password in REDIS_URL wins over REDIS_USERNAME / REDIS_PASSWORD.
 */
export function connectRedis (redis: Config['redis']): RedisClient {
  const tls = tlsOptions(redis.tls)
  const common: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 5000,
    connectTimeout: 5000,
    retryStrategy: times => Math.min(times * 200, 2000),
    username: redis.username,
    password: redis.password,
    tls
  }
  if (redis.clusterNodes) {
    return new Cluster(redis.clusterNodes.map(hostPort), {
      ...(tls ? { dnsLookup: byName } : {}),
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
      sentinelUsername: redis.username,
      sentinelPassword: redis.sentinelPassword,
      sentinelTLS: tls,
      enableTLSForSentinelMode: Boolean(tls)
    })
  }
  return new Redis(redis.url!, common)
}
