import type { Log as Logger } from './log.js'
import type { Store } from './store.js'
import type { DeliveryAttempt, OutboxEntry, ServiceKey } from './types.js'
import { startWorker, type Worker } from './worker.js'
import type { SendResult } from './keptn-client.js'
import type { Metrics } from './metrics.js'

export interface DeliveryOptions {
  leaseMs: number
  backoffBaseMs: number
  backoffMaxMs: number
  /**
   * After an attempt that may have landed (no answer within KEPTN_TIMEOUT), the next one waits at
   * least this long: never resend faster than the timeout that lost the answer.
   */
  uncertainRetryMs: number
  /** Entries leased per shard and round. */
  batch: number
}

export interface DeliveryDeps {
  store: Store
  send: (entry: OutboxEntry) => Promise<SendResult>
  /**
   * Whether Keptn already holds this entry's event (see KeptnClient.landed): asked before an entry
   * whose last attempt may have landed is sent again. A task is done in Keptn when #started ==
   * #finished, and its API has no idempotency key: a resent event that had landed wedges the task.
   */
  landed?: (entry: OutboxEntry) => Promise<boolean | undefined>
  clock: () => number
  logger: Logger
  metrics?: Metrics
  options: DeliveryOptions
  random?: () => number
}

const keptAttempts = 20
/** What a dead letter keeps of Keptn's answers and of the labels it carried (up to 1,000 per shard are kept). */
const deadLetterTextBytes = 1024

const boundedAttempt = (attempt: DeliveryAttempt): DeliveryAttempt =>
  attempt.message.length > deadLetterTextBytes ? { ...attempt, message: `${attempt.message.slice(0, deadLetterTextBytes)} … [truncated]` } : attempt

/** A dead letter keeps who, what and why; labels over 1 KiB are replaced by their size. */
function boundedForDeadLetter (entry: OutboxEntry): OutboxEntry {
  const labels = entry.kind === 'trigger' ? entry.trigger.labels : entry.pending.labels
  const size = labels ? Buffer.byteLength(JSON.stringify(labels)) : 0
  if (size <= deadLetterTextBytes) return entry
  const dropped = { 'kgb.labels-dropped': `${size} bytes` }
  return entry.kind === 'trigger' ? { ...entry, trigger: { ...entry.trigger, labels: dropped } } : { ...entry, pending: { ...entry.pending, labels: dropped } }
}

/** Exponential backoff with equal jitter: half fixed, half random, capped. */
export function backoffMs (attempt: number, base: number, max: number, random: () => number = Math.random): number {
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt - 1, 30))
  return Math.round(ceiling / 2 + random() * ceiling / 2)
}

function labelsOf (entry: OutboxEntry) {
  if (entry.kind !== 'finished') return { kind: entry.kind, status: '', result: '' }
  return { kind: entry.kind, status: entry.result.status, result: entry.result.result }
}

/**
 * Keptn has the event: the ack must land before the lease runs out, or another worker sends it
 * again. A Redis failover refuses writes for some seconds, so the ack is retried until then.
 */
async function ackBefore (deps: DeliveryDeps, entry: OutboxEntry, leaseEnd: number): Promise<void> {
  for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
    try {
      return await deps.store.ack(entry)
    } catch (err) {
      if (Date.now() + wait >= leaseEnd) throw err
      await new Promise(resolve => setTimeout(resolve, wait))
    }
  }
}

/**
 * After an attempt that may have landed: a settled result when Keptn says it holds the event
 * (nothing to send), a retry when Keptn cannot be asked or the lease has no room left for a send,
 * undefined when the event is to be sent.
 */
async function alreadyLanded (deps: DeliveryDeps, entry: OutboxEntry, leaseEnd: number): Promise<SendResult | undefined> {
  if (!deps.landed || entry.attempts?.at(-1)?.uncertain !== true) return undefined
  let found: boolean | undefined
  try {
    found = await deps.landed(entry)
  } catch (err) {
    const status = (err as { status?: unknown }).status
    // Keptn answered, but refuses the question for good (a 4xx): it cannot say; send as before.
    if (typeof status === 'number' && status >= 400 && status < 500 && status !== 429) {
      found = undefined
    } else {
      // Sending now could double the event: ask again later instead.
      return { ok: false, retryable: true, uncertain: true, message: `could not ask Keptn whether an earlier attempt landed: ${(err as Error).message}` }
    }
  }
  if (found === true) return { ok: true, status: 200 }
  if (found === undefined) deps.logger.warn({ entry: entry.id }, 'Keptn cannot say whether an earlier attempt landed (no sequence-execution API, or the project is gone); sending again')
  // The check took time: a send that could outlast the lease might meet another replica's.
  if (leaseEnd - Date.now() < deps.options.uncertainRetryMs) {
    return { ok: false, retryable: true, uncertain: true, message: 'not sent: too little of the lease left after asking Keptn' }
  }
  return undefined
}

async function deliverOne (deps: DeliveryDeps, entry: OutboxEntry, leaseEnd: number): Promise<void> {
  const { store, clock, logger, metrics, options } = deps
  const started = clock()
  const known = await alreadyLanded(deps, entry, leaseEnd)
  const outcome = known ?? await deps.send(entry).catch((err: Error): SendResult => ({ ok: false, retryable: true, message: err.message, uncertain: true }))
  metrics?.keptnRequestDuration.observe({ outcome: outcome.ok ? 'ok' : outcome.retryable ? 'retryable' : 'permanent' }, (clock() - started) / 1000)
  if (outcome.ok) {
    await ackBefore(deps, entry, leaseEnd)
    metrics?.keptnEventsSent.inc(labelsOf(entry))
    logger.info({ entry: entry.id, attempts: (entry.attempts?.length ?? 0) + 1, ...(known ? { foundInKeptn: true } : {}) },
      known ? 'Keptn already held the event an unanswered attempt sent; not sent again' : 'delivered to Keptn')
    return
  }
  const attempt: DeliveryAttempt = { at: clock(), status: outcome.status, message: outcome.message }
  // Once uncertain, an entry stays so until Keptn answers: a later refused connection does not
  // prove the earlier attempt never landed.
  if (outcome.uncertain || entry.attempts?.at(-1)?.uncertain) attempt.uncertain = true
  const attempts = [...(entry.attempts ?? []), attempt]
  if (!outcome.retryable) {
    await store.deadLetter(boundedForDeadLetter(entry), attempts.map(boundedAttempt), clock())
    metrics?.deadLetters.inc({ kind: entry.kind })
    logger.error({ entry: entry.id, status: outcome.status, keptnMessage: outcome.message }, 'Keptn refused the event; moved to the dead-letter list')
    return
  }
  const backoff = backoffMs(attempts.length, options.backoffBaseMs, options.backoffMaxMs, deps.random)
  const delay = outcome.uncertain ? Math.max(backoff, options.uncertainRetryMs) : backoff
  await store.retry({ ...entry, attempts: attempts.slice(-keptAttempts) }, clock() + delay)
  metrics?.deliveryRetries.inc({ kind: entry.kind })
  logger.warn({ entry: entry.id, status: outcome.status, error: outcome.message, retryInMs: delay }, 'delivery to Keptn failed; will retry')
}

/**
 * Deliveries still running in the background: a slow one (Keptn answering late, up to
 * KEPTN_TIMEOUT) must not hold back every other entry. Its entry stays leased meanwhile, so no
 * other round or replica sends it.
 */
export interface InFlight {
  jobs: Set<Promise<void>>
  /** How long a round waits for its deliveries before it lets them finish in the background. */
  slowAfterMs: number
  /** At most this many deliveries run at once; a round waits for room first. */
  max: number
}

async function deliverLeased (deps: DeliveryDeps, shards?: Iterable<number>, inFlight?: InFlight): Promise<{ entries: OutboxEntry[], done: boolean }> {
  if (inFlight) while (inFlight.jobs.size >= inFlight.max) await Promise.race(inFlight.jobs)
  // Wall time: an ack that has not landed when the lease runs out loses the entry to another replica.
  const leaseEnd = Date.now() + deps.options.leaseMs
  const room = inFlight ? Math.min(deps.options.batch, inFlight.max - inFlight.jobs.size) : deps.options.batch
  const entries = await deps.store.lease(deps.clock(), deps.options.leaseMs, room, shards)
  if (!inFlight) {
    await Promise.all(entries.map(entry => deliverOne(deps, entry, leaseEnd)))
    return { entries, done: true }
  }
  const jobs = entries.map(entry => {
    const job: Promise<void> = deliverOne(deps, entry, leaseEnd)
      .catch((err: Error) => { deps.logger.warn({ entry: entry.id, err: err.message }, 'a delivery failed; the entry is sent again after its lease') })
      .finally(() => inFlight.jobs.delete(job))
    inFlight.jobs.add(job)
    return job
  })
  let timer: NodeJS.Timeout | undefined
  const done = await Promise.race([
    Promise.all(jobs).then(() => true),
    new Promise<boolean>(resolve => { timer = setTimeout(() => resolve(false), inFlight.slowAfterMs) })
  ])
  clearTimeout(timer)
  return { entries, done }
}

/** What one delivery round did. */
export interface RoundResult {
  /** Entries leased (and sent or settled, or left to finish in the background). */
  leased: number
  /**
   * More may be due at once, so the worker should not wait for its timer: a shard may have hit the
   * batch limit (fewer than `batch` leased in all means none did), a delivered `.started` released
   * the `.finished` waiting behind it, or (with `inFlight`) a slow delivery was left to finish in
   * the background while the rest of the outbox goes on. Anything else due later (retries, other
   * replicas' expired leases) is found by the timer's full round.
   */
  more: boolean
}

/** One delivery round: lease what is due (in the given shards only, or everywhere), send it, settle each entry. */
export async function deliveryRound (deps: DeliveryDeps, shards?: Iterable<number>, inFlight?: InFlight): Promise<RoundResult> {
  const { entries, done } = await deliverLeased(deps, shards, inFlight)
  return { leased: entries.length, more: entries.length >= deps.options.batch || entries.some(entry => entry.kind === 'started') || !done }
}

export interface Delivery {
  /** Starts the rounds: a full one every intervalMs, and one for a shard as soon as work is queued in it. */
  start (): void
  /** Work was queued for this service: deliver its shard now (does nothing before start or after stop). */
  wake (key: ServiceKey): void
  /** No new rounds; waits for the running one and for every delivery still in flight. */
  stop (): Promise<void>
}

/**
 * Delivery, end to end: the one owner of the outbox rounds, their cadence and the deliveries left
 * running in the background. One per process; replicas share the work through the store's leases.
 */
export function createDelivery (deps: DeliveryDeps & { intervalMs: number, inFlight?: Pick<InFlight, 'slowAfterMs' | 'max'> }): Delivery {
  // Deliveries left to finish in the background by a round that did not wait for a slow Keptn.
  const inFlight: InFlight = { jobs: new Set(), slowAfterMs: 250, max: 64, ...deps.inFlight }
  let worker: Worker<number> | undefined
  let stopped = false
  return {
    start () {
      if (worker || stopped) return
      worker = startWorker<number>('delivery', async shards => {
        if (stopped) return 0
        const round = await deliveryRound(deps, shards, inFlight)
        return round.more ? round.leased : 0
      }, deps.intervalMs, deps.logger)
    },
    wake (key) {
      worker?.wake(deps.store.shardOf(key))
    },
    async stop () {
      stopped = true
      await worker?.stop()
      await Promise.all(inFlight.jobs)
    }
  }
}
