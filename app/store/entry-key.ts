import type { OutboxEntry, ServiceKey } from '../core/types.js'

/** The project/stage/service an outbox entry belongs to: it decides the entry's shard. */
export function entryServiceKey (entry: OutboxEntry): ServiceKey {
  const owner = entry.kind === 'trigger' ? entry.trigger : entry.pending
  return { project: owner.project, stage: owner.stage, service: owner.service }
}
