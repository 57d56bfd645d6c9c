import type { Store } from '../../app/core/store.js'
import type { TriggeredDeployment } from '../../app/core/types.js'
import { triggeredFromCloudEvent } from '../../app/core/keptn-events.js'
import { makeTriggered } from '../../tests/helpers/keptn-fake.js'
import type { ServiceRef } from './flux.js'

export const retentionMs = 7 * 24 * 3600_000
export const deploymentTimeoutMs = 15 * 60_000

/** A pending deployment as the bridge stores it, parsed from a realistic deployment.triggered. */
export function pendingFor (svc: ServiceRef, now: number, data: Record<string, unknown> = {}): TriggeredDeployment {
  const parsed = triggeredFromCloudEvent(makeTriggered({ ...svc, ...data }), now, deploymentTimeoutMs)
  if (!parsed.ok) throw new Error(parsed.reason)
  return parsed.value
}

/** addTriggered in pipelined batches: ioredis writes a batch without waiting for the answers. */
export async function fill (store: Store, tds: Iterable<TriggeredDeployment>, now: number, batch = 2000): Promise<number> {
  let count = 0
  let wave: Array<Promise<boolean>> = []
  for (const td of tds) {
    wave.push(store.addTriggered(td, retentionMs, now))
    count++
    if (wave.length >= batch) {
      await Promise.all(wave)
      wave = []
    }
  }
  await Promise.all(wave)
  return count
}

/** Waits until the bridge's delivery worker has sent everything owed (e.g. the `.started` of a fill). */
export async function drained (store: Store, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while ((await store.snapshot(0)).outboxDepth > 0) {
    if (Date.now() > deadline) throw new Error('the outbox did not drain')
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}
