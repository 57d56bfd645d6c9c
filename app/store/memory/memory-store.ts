import type { DeadLetter, OutboxEntry, TriggeredDeployment } from '../../core/types.js'
import { deadLetterLimit, recentLimit, serviceKeyString, type ResolveAnswer, type ResolveRequest, type Store } from '../../core/store.js'
import { takenOver, toRecent } from '../entries.js'
import { choosePending } from '../../core/choose-pending.js'

/**
 * The embedded default when REDIS_URL is unset: the same behaviour as the Redis store inside one
 * process, so a first try needs nothing else. Nothing survives a restart.
 */
export function createMemoryStore (): Store {
  const markers = new Map<string, number>() // key -> expires at
  const pending = new Map<string, TriggeredDeployment>() // triggered id -> deployment
  const outbox = new Map<string, { entry: OutboxEntry, due: number, leased?: boolean }>()
  const dead = new Map<string, DeadLetter>()
  const held = new Map<string, Map<string, { req: ResolveRequest, until: number }>>() // service -> delivery id -> result
  const gitClaims = new Map<string, { owner: string, until: number }>() // triggered id -> claim
  let recent: OutboxEntry[] = []

  const mark = (key: string, ttlMs: number, now: number): boolean => {
    const expires = markers.get(key)
    if (expires !== undefined && expires > now) return false
    markers.set(key, now + ttlMs)
    return true
  }
  const enqueue = (entry: OutboxEntry, now: number) => {
    outbox.set(entry.id, { entry, due: now })
    if (entry.kind !== 'started') recent = [entry, ...recent].slice(0, recentLimit)
  }
  // Settling a .started releases the .finished held back behind it.
  const settle = (entry: OutboxEntry): boolean => {
    if (!outbox.delete(entry.id)) return false
    if (entry.kind === 'started') {
      const finished = outbox.get(`finished:${entry.pending.triggeredId}`)
      if (finished) finished.due = 0
    }
    return true
  }
  const hold = (key: string, req: ResolveRequest, ms: number) => {
    const results = held.get(key) ?? new Map()
    results.set(req.deliveryId, { req, until: req.now + ms })
    held.set(key, results)
  }
  // Expired markers are dropped at most once a minute, whichever write comes along.
  let swept = 0
  const sweep = (now: number) => {
    if (now - swept < 60_000) return
    swept = now
    for (const [key, expires] of markers) if (expires <= now) markers.delete(key)
    for (const [key, results] of held) {
      for (const [id, { until }] of results) if (until <= now) results.delete(id)
      if (results.size === 0) held.delete(key)
    }
    for (const [id, { until }] of gitClaims) if (until <= now) gitClaims.delete(id)
  }

  return {
    kind: 'memory',

    async addTriggered (td, retentionMs, now) {
      sweep(now)
      if (!mark(`seen:${td.triggeredId}`, retentionMs, now)) return false
      pending.set(td.triggeredId, td)
      enqueue({ id: `started:${td.triggeredId}`, kind: 'started', pending: td }, now)
      return true
    },

    async resolve (req: ResolveRequest): Promise<ResolveAnswer> {
      sweep(req.now)
      const key = serviceKeyString(req.key)
      if (!mark(`delivery:${key}:${req.deliveryId}`, req.dedupeTtlMs, req.now)) return { status: 'duplicate' }
      const candidates = [...pending.values()]
        .filter(td => serviceKeyString(td) === key)
        // Ties in the same millisecond go by id, as in Redis' sorted set: both stores choose alike.
        .sort((a, b) => a.receivedAt - b.receivedAt || (a.triggeredId < b.triggeredId ? -1 : a.triggeredId > b.triggeredId ? 1 : 0))
      const chosen = choosePending(candidates, req.versions, req.commit, req.strictVersions !== false, req.commitIsHint === true)
      if (chosen) {
        pending.delete(chosen.triggeredId)
        enqueue({ id: `finished:${chosen.triggeredId}`, kind: 'finished', pending: chosen, result: req.finished }, req.now)
        return { status: 'finished', triggeredId: chosen.triggeredId, keptnContext: chosen.keptnContext }
      }
      if (req.holdMs) hold(key, req, req.holdMs)
      if (!req.trigger) return { status: 'no-pending' }
      if (!mark(`sequence:${key}:${req.trigger.revision}`, req.retentionMs, req.now)) return { status: 'already-triggered' }
      enqueue({ id: `trigger:${req.trigger.keptnContext}`, kind: 'trigger', trigger: req.trigger }, req.now)
      return { status: 'triggered', keptnContext: req.trigger.keptnContext }
    },

    async expire (now, finished, limit) {
      const expired = [...pending.values()].filter(td => td.deadline <= now).slice(0, limit)
      for (const td of expired) {
        pending.delete(td.triggeredId)
        enqueue({ id: `finished:${td.triggeredId}`, kind: 'finished', pending: td, result: finished(td) }, now)
      }
      return expired
    },

    async finishPending (td, finished, now) {
      if (!pending.delete(td.triggeredId)) return false
      enqueue({ id: `finished:${td.triggeredId}`, kind: 'finished', pending: td, result: finished }, now)
      return true
    },

    async heldResults (key, now) {
      return [...held.get(serviceKeyString(key))?.values() ?? []]
        .filter(h => h.until > now)
        .map(h => h.req)
        .sort((a, b) => a.now - b.now)
    },

    async claimGitWrite (td, owner, leaseMs, now) {
      const stored = pending.get(td.triggeredId)
      // As Redis (which looks in the service's own shard): only the record of that very service.
      if (!stored || serviceKeyString(stored) !== serviceKeyString(td) || stored.pushed !== undefined) return undefined
      const claim = gitClaims.get(td.triggeredId)
      if (claim && claim.until > now) return undefined
      gitClaims.set(td.triggeredId, { owner, until: now + leaseMs })
      return structuredClone(stored)
    },

    async renewGitWrite (td, owner, leaseMs, now) {
      const claim = gitClaims.get(td.triggeredId)
      if (!claim || claim.until <= now || claim.owner !== owner) return false
      claim.until = now + leaseMs
      return true
    },

    async updatePending (td) {
      if (!pending.has(td.triggeredId)) return false
      pending.set(td.triggeredId, td)
      return true
    },

    shardOf: () => 0,

    async lease (now, leaseMs, limit) {
      const leased: OutboxEntry[] = []
      const due = [...outbox.values()].filter(o => o.due <= now).sort((a, b) => a.due - b.due)
      for (const item of due) {
        if (leased.length >= limit) break
        const started = item.entry.kind === 'finished' && outbox.get(`started:${item.entry.pending.triggeredId}`)
        if (started) {
          item.due = Math.max(started.due, now) + 1
          continue
        }
        item.due = now + leaseMs
        leased.push(item.leased ? takenOver(structuredClone(item.entry), now) : structuredClone(item.entry))
        item.leased = true
      }
      return leased
    },

    async ack (entry) {
      settle(entry)
    },

    async retry (entry, dueAt) {
      if (outbox.has(entry.id)) outbox.set(entry.id, { entry, due: dueAt })
    },

    async deadLetter (entry, attempts, now) {
      if (!outbox.delete(entry.id)) return
      dead.set(entry.id, { entry, attempts, deadAt: now })
      if (entry.kind === 'started') {
        const tid = entry.pending.triggeredId
        pending.delete(tid)
        const finished = outbox.get(`finished:${tid}`)
        if (finished) {
          outbox.delete(finished.entry.id)
          dead.set(finished.entry.id, { entry: finished.entry, attempts: [{ at: now, message: 'not sent: Keptn refused its .started' }], deadAt: now })
        }
      }
      // Oldest first in insertion order: only the newest are kept.
      for (const id of dead.keys()) {
        if (dead.size <= deadLetterLimit) break
        dead.delete(id)
      }
    },

    async listPending (limit) {
      return [...pending.values()].sort((a, b) => a.deadline - b.deadline).slice(0, limit)
    },

    async snapshot (limit) {
      const all = [...pending.values()].sort((a, b) => a.deadline - b.deadline)
      return {
        pending: all.slice(0, limit),
        pendingCount: all.length,
        recent: recent.map(toRecent),
        deadLetters: [...dead.values()].sort((a, b) => b.deadAt - a.deadAt).slice(0, limit),
        outboxDepth: outbox.size
      }
    },

    counts: async () => ({ pending: pending.size, outbox: outbox.size }),
    ready: () => true,
    close: async () => {}
  }
}
