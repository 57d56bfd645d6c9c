import type { DeliveryAttempt, OutboxEntry, RecentOutcome, ServiceKey } from '../core/types.js'

/** What both store implementations share: how an outbox entry reads as a shard key and an outcome. */

/** The project/stage/service an outbox entry belongs to: it decides the entry's shard. */
export function entryServiceKey (entry: OutboxEntry): ServiceKey {
  const owner = entry.kind === 'trigger' ? entry.trigger : entry.pending
  return { project: owner.project, stage: owner.stage, service: owner.service }
}

/**
 * An entry leased again while its last lease was never settled: the worker holding it went away
 * (killed, cut off from the store) perhaps mid-request, so its event may already be in Keptn. The
 * attempt recorded here makes delivery ask Keptn before sending it again.
 */
export function takenOver (entry: OutboxEntry, now: number): OutboxEntry {
  const attempt: DeliveryAttempt = { at: now, message: 'taken over: the worker that leased it went away before settling it', uncertain: true }
  return { ...entry, attempts: [...(entry.attempts ?? []), attempt] }
}

export function toRecent (entry: OutboxEntry): RecentOutcome {
  if (entry.kind === 'trigger') {
    const t = entry.trigger
    return {
      ...entryServiceKey(entry),
      keptnContext: t.keptnContext,
      kind: 'trigger',
      revision: t.revision,
      message: `triggered ${t.stage}.${t.sequence}`,
      at: t.createdAt
    }
  }
  const p = entry.pending
  if (entry.kind === 'started') throw new Error('a started entry is not an outcome')
  const r = entry.result
  return {
    ...entryServiceKey(entry),
    triggeredId: p.triggeredId,
    keptnContext: p.keptnContext,
    kind: r.source === 'deadline' ? 'timeout' : 'finished',
    status: r.status,
    result: r.result,
    revision: r.revision,
    message: r.message,
    at: r.finishedAt
  }
}
