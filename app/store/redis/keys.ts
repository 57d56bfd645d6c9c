import type { ServiceKey } from '../../core/types.js'
import { serviceKeyString } from '../../core/store.js'

/**
 * Every key the bridge writes. Keys are spread over a fixed number of shards; all keys of one
 * shard share one hash tag, so every Lua script touches a single Redis Cluster slot, and the
 * workers visit each shard in turn. Changing the shard count re-homes keys: it is a constant.
 */
export const shardCount = 16

export function shardOf (key: ServiceKey): number {
  return shardOfString(serviceKeyString(key))
}

/** The shard of any string (FNV-1a): a service key's, or a triggered id's for its owner marker. */
export function shardOfString (text: string): number {
  let hash = 2166136261
  for (const ch of text) {
    hash ^= ch.codePointAt(0)!
    hash = Math.imul(hash, 16777619)
  }
  return (hash >>> 0) % shardCount
}

function shardKeys (prefix: string, n: number) {
  const tag = `{${prefix}:${n}}`
  return {
    pendingOf: (key: ServiceKey) => `${tag}:pending:${serviceKeyString(key)}`,
    pendingData: `${tag}:pend`,
    deadlines: `${tag}:deadlines`,
    seenTriggered: (triggeredId: string) => `${tag}:seen:${triggeredId}`,
    delivery: (deliveryId: string) => `${tag}:delivery:${deliveryId}`,
    gitClaim: (triggeredId: string) => `${tag}:git-claim:${triggeredId}`,
    held: (key: ServiceKey) => `${tag}:early:${serviceKeyString(key)}`,
    sequence: (key: ServiceKey, revision: string) => `${tag}:sequence:${serviceKeyString(key)}:${revision}`,
    outbox: `${tag}:outbox`,
    leases: `${tag}:leases`,
    idOwner: (triggeredId: string) => `${tag}:owner:${triggeredId}`,
    due: `${tag}:due`,
    dead: `${tag}:dead`,
    deadAt: `${tag}:dead-at`,
    recent: `${tag}:recent`
  }
}

export function keyBuilder (prefix: string) {
  // Built once: every request and every worker round asks for its shard's keys.
  const built = Array.from({ length: shardCount }, (_, n) => shardKeys(prefix, n))
  const shard = (n: number): ShardKeys => built[n]!
  return { shard, forKey: (key: ServiceKey) => shard(shardOf(key)), forId: (id: string) => shard(shardOfString(id)) }
}

export type ShardKeys = ReturnType<typeof shardKeys>
