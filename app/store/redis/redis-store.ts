import type { Cluster, Redis } from 'ioredis'
import type { FinishedResult, OutboxEntry, TriggeredDeployment } from '../../core/types.js'
import { StoreUnavailableError, deadLetterLimit, recentLimit, serviceKeyString, type ResolveAnswer, type ResolveRequest, type Store, type StoreSnapshot } from '../../core/store.js'
import { takenOver, toRecent } from '../entries.js'
import { keyBuilder, shardCount, shardOf, type ShardKeys } from './keys.js'
import { entryServiceKey } from '../entries.js'
import { luaSource, scripts, type ArgValue, type LuaScript, type ScriptCall } from './scripts.js'
import { typedErrors } from './unavailable.js'

export type RedisClient = Redis | Cluster

/** Registers the Lua scripts; ioredis re-sends them after a Redis restart (NOSCRIPT). */
export function defineScripts (redis: RedisClient): void {
  for (const script of Object.values(scripts)) {
    redis.defineCommand(script.command, { numberOfKeys: script.numberOfKeys, lua: luaSource(script.file) })
  }
}

/** A command defineScripts registered, on a client or a pipeline. */
function command (target: object, name: string): (...args: ArgValue[]) => unknown {
  return (target as Record<string, (...args: ArgValue[]) => unknown>)[name]!
}

const shards = Array.from({ length: shardCount }, (_, n) => n)

export interface RedisStoreOptions {
  /** Replicas that must hold a write before it counts (WAIT); 0 trusts the master alone. */
  waitReplicas?: number
  waitTimeoutMs?: number
}

export function createRedisStore (redis: RedisClient, prefix: string, opts: RedisStoreOptions = {}): Store {
  defineScripts(redis)
  const keys = keyBuilder(prefix)
  const { waitReplicas = 0, waitTimeoutMs = 250 } = opts

  // Runs one state-changing script. A write the master answered but no replica holds yet is lost
  // when a replica is promoted; with waitReplicas, WAIT runs right behind the script on the same
  // connection and an unconfirmed write fails as NOREPLICAS (answered 503, retried by the sender).
  const run = async <K, A, R>(script: LuaScript<K, A, R>, call: ScriptCall<K, A>): Promise<R> => {
    const args = script.positional(call)
    if (waitReplicas === 0) return await (command(redis, script.command).apply(redis, args) as Promise<R>)
    for (let redirects = 3; ; redirects--) {
      const pipeline = redis.pipeline()
      command(pipeline, script.command).apply(pipeline, args)
      pipeline.wait(waitReplicas, waitTimeoutMs)
      const [[err, value] = [null, undefined], wait] = (await pipeline.exec()) ?? []
      if (err) {
        // A Cluster failover moved the slot. ioredis follows MOVED in a pipeline only when all its
        // replies failed alike, which the WAIT behind the script prevents: refresh and retry.
        if (redirects > 0 && /^(MOVED|ASK) /.test(err.message) && 'refreshSlotsCache' in redis) {
          await new Promise(resolve => redis.refreshSlotsCache(resolve))
          continue
        }
        throw err
      }
      if (!wait || wait[0] || (wait[1] as number) < waitReplicas) {
        throw new StoreUnavailableError(`NOREPLICAS write not confirmed by ${waitReplicas} replica(s) within ${waitTimeoutMs} ms`)
      }
      return value as R
    }
  }
  const settle = (entry: OutboxEntry, how: 'ack' | 'retry' | 'dead', json = '', at = 0) => {
    const key = entryServiceKey(entry)
    const k = keys.forKey(key)
    return run(scripts.settle, {
      keys: { outbox: k.outbox, due: k.due, dead: k.dead, deadAt: k.deadAt, pendingOf: k.pendingOf(key), pendingData: k.pendingData, deadlines: k.deadlines, leases: k.leases },
      args: { entryId: entry.id, how, json, at, deadLetterLimit }
    })
  }
  const claim = async (k: ShardKeys, td: TriggeredDeployment, finished: FinishedResult, now: number, onlyWhenDue: boolean) =>
    await run(scripts.claimPending, {
      keys: { deadlines: k.deadlines, pendingOf: k.pendingOf(td), pendingData: k.pendingData, outbox: k.outbox, due: k.due, recent: k.recent },
      args: { triggeredId: td.triggeredId, now, finished: JSON.stringify(finished), recentLimit, onlyWhenDue: onlyWhenDue ? '1' : '0' }
    }) === 1
  const perShard = async <T>(fn: (k: ShardKeys) => Promise<T>): Promise<T[]> =>
    await Promise.all(shards.map(n => fn(keys.shard(n))))

  return typedErrors({
    kind: 'redis',

    async addTriggered (td, retentionMs, now) {
      // The id is claimed for its service first, in the id's own shard: the per-shard marker below
      // alone would let the same id with another service be taken on again in another shard.
      // Claiming is idempotent for the same service, so a retry after a crash between the two
      // steps still takes the deployment on.
      const claimed = await run(scripts.claimId, {
        keys: { idOwner: keys.forId(td.triggeredId).idOwner(td.triggeredId) },
        args: { service: serviceKeyString(td), ttlMs: retentionMs }
      })
      if (claimed !== 1) return false
      const k = keys.forKey(td)
      const taken = await run(scripts.addTriggered, {
        keys: { seenTriggered: k.seenTriggered(td.triggeredId), pendingOf: k.pendingOf(td), pendingData: k.pendingData, deadlines: k.deadlines, outbox: k.outbox, due: k.due },
        args: { triggeredId: td.triggeredId, deployment: JSON.stringify(td), receivedAt: td.receivedAt, deadline: td.deadline, retentionMs, now }
      })
      return taken === 1
    },

    async resolve (req: ResolveRequest): Promise<ResolveAnswer> {
      const k = keys.forKey(req.key)
      const trigger = req.trigger
      const triggerId = trigger ? `trigger:${trigger.keptnContext}` : ''
      const triggerEntry = trigger ? JSON.stringify({ id: triggerId, kind: 'trigger', trigger }) : ''
      const holdMs = req.holdMs ?? 0
      const heldEntry = holdMs > 0 ? JSON.stringify(req) : ''
      const [status, triggeredId, keptnContext] = await run(scripts.resolve, {
        keys: {
          delivery: k.delivery(req.deliveryId),
          pendingOf: k.pendingOf(req.key),
          pendingData: k.pendingData,
          deadlines: k.deadlines,
          outbox: k.outbox,
          due: k.due,
          recent: k.recent,
          sequence: k.sequence(req.key, trigger?.revision ?? ''),
          held: k.held(req.key)
        },
        args: {
          now: req.now,
          dedupeTtlMs: req.dedupeTtlMs,
          finished: JSON.stringify(req.finished),
          commit: (req.commitIsHint && req.commit ? '~' : '') + (req.commit ?? ''),
          triggerEntry,
          triggerId,
          retentionMs: req.retentionMs,
          recentLimit,
          strictVersions: req.strictVersions === false ? '0' : '1',
          heldEntry,
          holdMs,
          versions: req.versions
        }
      })
      if (status === 'finished') return { status, triggeredId: triggeredId!, keptnContext: keptnContext! }
      if (status === 'triggered') return { status, keptnContext: trigger!.keptnContext }
      return { status: status as 'duplicate' | 'already-triggered' | 'no-pending' }
    },

    async expire (now, finished: (td: TriggeredDeployment) => FinishedResult, limit) {
      const claimed: TriggeredDeployment[] = []
      await perShard(async k => {
        const ids = await redis.zrangebyscore(k.deadlines, '-inf', now, 'LIMIT', 0, limit)
        if (ids.length === 0) return
        const jsons = await redis.hmget(k.pendingData, ...ids)
        for (const [i, json] of jsons.entries()) {
          if (json === null) {
            await redis.zrem(k.deadlines, ids[i]!)
            continue
          }
          const td = JSON.parse(json) as TriggeredDeployment
          if (await claim(k, td, finished(td), now, true)) claimed.push(td)
        }
      })
      return claimed
    },

    async finishPending (td, finished, now) {
      return await claim(keys.forKey(td), td, finished, now, false)
    },

    async heldResults (key, now) {
      const live = await redis.zrangebyscore(keys.forKey(key).held(key), `(${now}`, '+inf')
      return live.map(json => JSON.parse(json) as ResolveRequest).sort((a, b) => a.now - b.now)
    },

    async claimGitWrite (td, owner, leaseMs) {
      const k = keys.forKey(td)
      const json = await run(scripts.claimGitWrite, {
        keys: { pendingData: k.pendingData, gitClaim: k.gitClaim(td.triggeredId) },
        args: { triggeredId: td.triggeredId, owner, leaseMs }
      })
      return json === null ? undefined : JSON.parse(json) as TriggeredDeployment
    },

    async renewGitWrite (td, owner, leaseMs) {
      return await run(scripts.renewGitWrite, {
        keys: { gitClaim: keys.forKey(td).gitClaim(td.triggeredId) },
        args: { owner, leaseMs }
      }) === 1
    },

    async updatePending (td) {
      return await run(scripts.updatePending, {
        keys: { pendingData: keys.forKey(td).pendingData },
        args: { triggeredId: td.triggeredId, deployment: JSON.stringify(td) }
      }) === 1
    },

    shardOf,

    async lease (now, leaseMs, limit, only) {
      const leased = await Promise.all([...(only ?? shards)].map(n => {
        const k = keys.shard(n)
        return run(scripts.lease, { keys: { outbox: k.outbox, due: k.due, leases: k.leases }, args: { now, leaseMs, limit } })
      }))
      const entries: OutboxEntry[] = []
      for (const replies of leased) {
        for (let i = 0; i < replies.length; i += 2) {
          const entry = JSON.parse(replies[i]!) as OutboxEntry
          entries.push(Number(replies[i + 1]) > 1 ? takenOver(entry, now) : entry)
        }
      }
      return entries
    },

    async ack (entry) {
      await settle(entry, 'ack')
    },

    async retry (entry, dueAt) {
      await settle(entry, 'retry', JSON.stringify(entry), dueAt)
    },

    async deadLetter (entry, attempts, now) {
      await settle(entry, 'dead', JSON.stringify({ entry, attempts, deadAt: now }), now)
    },

    async listPending (limit) {
      if (limit <= 0) return []
      const parts = await perShard(async k => {
        const ids = await redis.zrange(k.deadlines, 0, String(limit - 1))
        return ids.length ? await redis.hmget(k.pendingData, ...ids) : []
      })
      return parts.flat().filter(json => json !== null).map(json => JSON.parse(json) as TriggeredDeployment)
        .sort((a, b) => a.deadline - b.deadline).slice(0, limit)
    },

    async snapshot (limit): Promise<StoreSnapshot> {
      const parts = await perShard(async k => {
        const ids = limit > 0 ? await redis.zrange(k.deadlines, 0, String(limit - 1)) : []
        // The newest dead letters only, through their time index: never every one of them.
        const deadIds = limit > 0 ? await redis.zrevrange(k.deadAt, 0, limit - 1) : []
        const [pending, count, recent, dead, depth] = await Promise.all([
          ids.length ? redis.hmget(k.pendingData, ...ids) : [],
          redis.hlen(k.pendingData),
          redis.lrange(k.recent, 0, recentLimit - 1),
          deadIds.length ? redis.hmget(k.dead, ...deadIds) : [],
          redis.hlen(k.outbox)
        ])
        return { pending, count, recent, dead, depth }
      })
      const parse = <T>(list: Array<string | null>): T[] => list.filter(j => j !== null).map(j => JSON.parse(j) as T)
      return {
        pending: parse<TriggeredDeployment>(parts.flatMap(p => p.pending)).sort((a, b) => a.deadline - b.deadline).slice(0, limit),
        pendingCount: parts.reduce((sum, p) => sum + p.count, 0),
        recent: parse<OutboxEntry>(parts.flatMap(p => p.recent)).map(toRecent).sort((a, b) => b.at - a.at).slice(0, recentLimit),
        deadLetters: parse<StoreSnapshot['deadLetters'][number]>(parts.flatMap(p => p.dead)).sort((a, b) => b.deadAt - a.deadAt).slice(0, limit),
        outboxDepth: parts.reduce((sum, p) => sum + p.depth, 0)
      }
    },

    async counts () {
      const parts = await perShard(async k => await Promise.all([redis.hlen(k.pendingData), redis.hlen(k.outbox)]))
      return { pending: parts.reduce((sum, [p]) => sum + p, 0), outbox: parts.reduce((sum, [, o]) => sum + o, 0) }
    },

    ready () {
      return redis.status === 'ready'
    },

    async close () {
      await redis.quit().catch(() => redis.disconnect())
    }
  })
}
