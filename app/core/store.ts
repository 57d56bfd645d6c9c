/**
 * The store port: what the core needs from a store, and nothing of how one keeps it. app/store/
 * implements it (memory, Redis); the core never imports app/store.
 */
import type {
  DeadLetter, DeliveryAttempt, FinishedResult, OutboxEntry, RecentOutcome, SequenceTrigger,
  ServiceKey, TriggeredDeployment
} from './types.js'

export interface ResolveRequest {
  key: ServiceKey
  deliveryId: string
  /** Versions the result is evidence of, normalised (see core/versions.ts). */
  versions: string[]
  commit?: string
  /** When true, `commit` only matches (a `<chart>+<12 hex>` that may be a digest): it never excludes. */
  commitIsHint?: boolean
  /** False: a pending deployment whose known version differs is still a fallback (VERSION_MATCH=prefer). */
  strictVersions?: boolean
  finished: FinishedResult
  /** Given when GitOps-first triggering applies: sent when no pending deployment is found. */
  trigger?: SequenceTrigger
  /**
   * When no pending deployment is finished (whether or not a sequence is triggered), the result is
   * kept this long (per service and delivery id) for a Keptn event still on its way; see
   * heldResults. 0 or absent: not kept.
   */
  holdMs?: number
  dedupeTtlMs: number
  /** How long a triggered sequence is remembered for its revision (RETENTION). */
  retentionMs: number
  now: number
}

export type ResolveAnswer =
  | { status: 'duplicate' }
  | { status: 'finished', triggeredId: string, keptnContext: string }
  | { status: 'triggered', keptnContext: string }
  | { status: 'already-triggered' }
  | { status: 'no-pending' }

export interface StoreSnapshot {
  pending: TriggeredDeployment[]
  pendingCount: number
  recent: RecentOutcome[]
  deadLetters: DeadLetter[]
  outboxDepth: number
}

/**
 * Every state change the bridge makes. Each method is atomic on its own: two replicas calling
 * the same method with the same arguments at once get one effect.
 */
export interface Store {
  readonly kind: 'redis' | 'memory'
  /** Takes a triggered deployment on and enqueues its `.started`; false if its id was seen before. */
  addTriggered (td: TriggeredDeployment, retentionMs: number, now: number): Promise<boolean>
  /** De-duplicates a delivery, claims the matching pending deployment and enqueues its answer. */
  resolve (req: ResolveRequest): Promise<ResolveAnswer>
  /** Claims pending deployments whose deadline has passed and enqueues their failed `.finished`. */
  expire (now: number, finished: (td: TriggeredDeployment) => FinishedResult, limit: number): Promise<TriggeredDeployment[]>
  /** Finishes one pending deployment now (e.g. Git already held the change); false if no longer pending. */
  finishPending (td: TriggeredDeployment, finished: FinishedResult, now: number): Promise<boolean>
  /** The results resolve held for a service (see holdMs) that have not run out at `now`, oldest first. */
  heldResults (key: ServiceKey, now: number): Promise<ResolveRequest[]>
  /**
   * Claims a pending deployment's Git write for owner (the writer's own id) for leaseMs, so one
   * replica at a time writes it: the stored record while it is still pending, nothing was pushed
   * for it and no claim is held (by anyone, owner included); otherwise undefined. A claim that runs
   * out (a replica died mid-write) can be taken again, by any owner.
   */
  claimGitWrite (td: TriggeredDeployment, owner: string, leaseMs: number, now: number): Promise<TriggeredDeployment | undefined>
  /**
   * Extends owner's Git write claim to leaseMs from now. Only the owner renews it: true when it did;
   * false when the claim ran out or is another owner's (lost: this writer must not push).
   */
  renewGitWrite (td: TriggeredDeployment, owner: string, leaseMs: number, now: number): Promise<boolean>
  /** Replaces a pending deployment's record (e.g. the commit it now waits for); false if no longer pending. */
  updatePending (td: TriggeredDeployment): Promise<boolean>
  /** The outbox shard a service's entries are kept in (a store without shards has one: 0). */
  shardOf (key: ServiceKey): number
  /**
   * Leases due outbox entries (up to limit per shard) for delivery; a lease not settled within
   * leaseMs is handed out again. With shards, only those shards are looked at (a store without
   * shards looks at everything).
   */
  lease (now: number, leaseMs: number, limit: number, shards?: Iterable<number>): Promise<OutboxEntry[]>
  ack (entry: OutboxEntry): Promise<void>
  /** Reschedules a leased entry; does nothing if another worker already settled it. */
  retry (entry: OutboxEntry, dueAt: number): Promise<void>
  /**
   * Moves a leased entry Keptn refused for good to the dead letters (the newest deadLetterLimit are
   * kept). A refused .started takes its deployment with it: no longer pending, and its .finished,
   * if queued, is dead-lettered unsent (a .finished without its .started leaves Keptn's task stuck).
   */
  deadLetter (entry: OutboxEntry, attempts: DeliveryAttempt[], now: number): Promise<void>
  /** The pending deployments due first (up to limit), for observation: no dead letters, no outcomes. */
  listPending (limit: number): Promise<TriggeredDeployment[]>
  snapshot (limit: number): Promise<StoreSnapshot>
  /** Just the two counts metrics export: cheap enough for every scrape. */
  counts (): Promise<{ pending: number, outbox: number }>
  /** True when the store can take writes now. */
  ready (): boolean
  close (): Promise<void>
}

export const recentLimit = 50
/** Dead letters kept per shard (the newest). */
export const deadLetterLimit = 1000

/**
 * The store cannot take the request now (disconnected, failing over, a write not confirmed by
 * replicas): the caller should retry later. Stores throw it instead of their driver's errors, so
 * callers decide on a 503 by type, not by reading a driver's message.
 */
export class StoreUnavailableError extends Error {
  readonly code = 'STORE_UNAVAILABLE'
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StoreUnavailableError'
  }
}

export function serviceKeyString (key: ServiceKey): string {
  return [key.project, key.stage, key.service].map(encodeURIComponent).join('/')
}
