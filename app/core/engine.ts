import type { Log as Logger } from './log.js'
import type { ResolveRequest, Store } from './store.js'
import { serviceKeyString } from './store.js'
import type { Mapping, MappingInput } from './mapping/types.js'
import type { DeploymentResult, FinishedResult, ObjectRef, SequenceTrigger, ServiceKey, TriggeredDeployment } from './types.js'
import { settleHelmOutcome, type HelmReleaseState } from './helm-outcome.js'
import type { Metrics } from './metrics.js'
import { DEPLOYMENT_TRIGGERED, eventIdFor, keptnTime, triggeredFromCloudEvent } from './keptn-events.js'
import { isKeptnName } from './mapping/keptn-name.js'
import { resultMatches } from './choose-pending.js'
import { reasonLabel } from './classify.js'

export interface EngineOptions {
  deploymentTimeoutMs: number
  retentionMs: number
  dedupeTtlMs: number
  triggerSequence?: string
  /** 0 turns the age check off. */
  maxEventAgeMs: number
  maxClockSkewMs: number
  /** 'strict': a known version that differs never finishes a deployment; 'prefer': it only loses preference. */
  versionMatch: 'strict' | 'prefer'
  /** Keptn projects whose deployments are taken on; empty = all. */
  projects: readonly string[]
  /**
   * How long a result that found nothing pending, but names a version or commit, is held for a
   * triggered event still on its way (0 = not held).
   */
  earlyResultWindowMs: number
  /** EVALUATION_WINDOW: a GitOps-first sequence's evaluation covers this long from the deployment (0 = no window sent). */
  evaluationWindowMs?: number
}

export interface EngineDeps {
  store: Store
  resolve: (input: MappingInput) => Promise<Mapping | undefined>
  clock: () => number
  logger: Logger
  metrics?: Metrics
  options: EngineOptions
  /** Called after something was enqueued for the service, so the local delivery worker runs now. */
  wake: (key: ServiceKey) => void
  /** A triggered deployment was taken on, or seen again while it may still be pending (e.g. to write its change to Git). */
  onTriggered?: (td: TriggeredDeployment) => void
  /** True when the bridge itself writes this deployment's change to Git. */
  writesToGit?: (td: TriggeredDeployment) => boolean
  /**
   * Asks Keptn for the open deployment.triggered event with this id, project, stage and service:
   * the event as Keptn has it, or undefined when Keptn does not list it. Throws when Keptn cannot
   * be asked. Given (KEPTN_API_URL set), a pushed event is only a hint: only Keptn's copy is taken.
   */
  confirm?: (td: TriggeredDeployment) => Promise<unknown>
  /** A HelmRelease's current spec and status (Kubernetes API), to tell a final failure from a retried one. */
  helmRelease?: (ref: ObjectRef) => Promise<HelmReleaseState | undefined>
}

export type ResultAnswer = {
  status: 'accepted' | 'ignored' | 'duplicate'
  reason?: string
  project?: string
  stage?: string
  service?: string
  triggeredId?: string
  keptnContext?: string
}

/** Keptn could not be asked (to confirm a pushed event): the sender should retry later. */
export class KeptnUnavailableError extends Error {
  readonly code = 'KEPTN_UNAVAILABLE'
  readonly statusCode = 503
}

export type TriggeredAnswer =
  | { status: 'accepted' | 'duplicate', triggeredId: string }
  | { status: 'ignored', reason: string }
  | { status: 'invalid', reason: string }

/**
 * The `.finished` answer. It names the Keptn service and what was deployed, not which GitOps tool
 * did it, so switching between Flux and Argo CD does not change what Keptn sees.
 */
function finishedFrom (result: DeploymentResult, service: string, now: number): FinishedResult {
  const success = result.outcome === 'success'
  const what = result.commit ? ` at commit ${result.commit}` : result.revision ? ` at revision ${result.revision}` : ''
  const seenBy = result.observedIn ? ` (observed in the ${result.observedIn} status)` : ' (reported by a webhook)'
  return {
    status: success ? 'succeeded' : 'errored',
    result: success ? 'pass' : 'fail',
    message: success ? `Successfully deployed ${service}${what}${seenBy}` : `Deployment of ${service}${what} failed: ${result.reason}: ${result.message}${seenBy}`,
    deploymentNames: [service],
    gitCommit: result.commit,
    revision: result.revision,
    source: result.source,
    finishedAt: now
  }
}

function sequenceFor (result: DeploymentResult, mapping: Mapping, sequence: string, now: number, evaluationWindowMs = 0): SequenceTrigger {
  const revision = result.revision ?? result.commit ?? result.versions[0] ?? `delivery:${result.deliveryId}`
  const key = { project: mapping.project, stage: mapping.stage, service: mapping.service }
  return {
    ...key,
    sequence,
    keptnContext: eventIdFor(`sequence:${serviceKeyString(key)}:${revision}`),
    revision,
    labels: {
      'gitops.source': result.source,
      'gitops.kind': result.object.kind,
      'gitops.namespace': result.object.namespace,
      'gitops.name': result.object.name,
      'gitops.revision': revision
    },
    createdAt: now,
    // From when the tool deployed (never later than now): the SLIs of the new version.
    ...(evaluationWindowMs > 0 ? { evaluation: { start: keptnTime(Math.min(result.occurredAt, now)), end: keptnTime(Math.min(result.occurredAt, now) + evaluationWindowMs) } } : {})
  }
}

export function createEngine (deps: EngineDeps) {
  const { store, clock, logger, metrics, options } = deps

  const answer = (result: DeploymentResult, counted: string, body: ResultAnswer): ResultAnswer => {
    metrics?.eventsReceived.inc({ source: result.source, reason: reasonLabel(result.reason), result: counted })
    return body
  }

  // A GitOps tool can report before Keptn's triggered event reaches the bridge (CI pushes to Git
  // and triggers Keptn at once; the pull path lags up to KEPTN_POLL_INTERVAL). Such a result is
  // held for a while, but only when it names a version or commit: the deployment it later finishes
  // must be waiting for exactly that, never a mere fallback.
  const holdFor = (result: DeploymentResult): number =>
    result.versions.length > 0 || result.commit || result.commitHint ? options.earlyResultWindowMs : 0

  /** Finishes a newly taken deployment with a held result that names its version or commit. */
  const finishedByHeldResult = async (td: TriggeredDeployment, now: number): Promise<boolean> => {
    if (options.earlyResultWindowMs <= 0 || (td.version === undefined && td.commit === undefined)) return false
    try {
      for (const early of (await store.heldResults(td, now)).filter(req => resultMatches(td, req.versions, req.commit))) {
        // Its own delivery id, so two deployments taken at once cannot both be finished by it; marked
        // for at least as long as the result is held, so a used one never finishes a second.
        const once = Math.max(early.dedupeTtlMs, options.earlyResultWindowMs)
        const resolved = await store.resolve({ ...early, deliveryId: `held:${early.deliveryId}`, dedupeTtlMs: once, trigger: undefined, holdMs: 0, now })
        if (resolved.status === 'duplicate') continue
        if (resolved.status !== 'finished') return false
        logger.info({ ...early.key, triggeredId: resolved.triggeredId, heldForMs: now - early.now }, 'finishing the triggered deployment with a result that came first')
        deps.wake(td)
        return resolved.triggeredId === td.triggeredId
      }
      return false
    } catch (err) {
      logger.warn({ triggeredId: td.triggeredId, err: (err as Error).message }, 'could not look for a result that came first')
      return false
    }
  }

  /**
   * A HelmRelease outcome judged against the object's spec and status: a failure helm-controller
   * will remediate and retry is not final (its `message` then says why), a success its tests
   * still decide is none. Without the object the event's own outcome stands.
   */
  const settled = async (result: DeploymentResult): Promise<DeploymentResult> => {
    if (result.outcome === 'none' || result.object.kind !== 'HelmRelease' || !deps.helmRelease || result.observedIn) return result
    const release = await deps.helmRelease(result.object).catch(() => undefined)
    const { outcome, why } = settleHelmOutcome(result, release)
    if (outcome === result.outcome) return result
    logger.info({ object: result.object, reason: result.reason, outcome, why }, 'the HelmRelease\'s status changes what its event means')
    return outcome === 'none' ? { ...result, outcome, message: why ?? '' } : { ...result, outcome, message: `${result.message} (${why})` }
  }

  /**
   * A pushed event is a hint: anyone who reaches the port can push one. Only the copy Keptn lists
   * as an open triggered event, with the same id, project, stage and service, is taken on.
   */
  const confirmWithKeptn = async (pushed: TriggeredDeployment, now: number): Promise<{ status: 'confirmed', td: TriggeredDeployment } | { status: 'ignored', reason: string }> => {
    let listed: unknown
    try {
      listed = await deps.confirm!(pushed)
    } catch (err) {
      metrics?.triggeredReceived.inc({ path: 'push', result: 'unconfirmed-keptn-away' })
      const status = (err as { status?: unknown }).status
      if (status === 401 || status === 403) logger.error({ status }, 'Keptn refuses the bridge\'s KEPTN_API_TOKEN: no pushed event can be confirmed')
      throw new KeptnUnavailableError(`cannot confirm the pushed event with Keptn: ${(err as Error).message}`)
    }
    const parsed = listed === undefined ? undefined : triggeredFromCloudEvent(listed, now, options.deploymentTimeoutMs)
    if (parsed?.ok !== true || !(['triggeredId', 'project', 'stage', 'service'] as const).every(field => parsed.value[field] === pushed[field])) {
      metrics?.triggeredReceived.inc({ path: 'push', result: 'unconfirmed' })
      logger.warn({ triggeredId: pushed.triggeredId, project: pushed.project, stage: pushed.stage, service: pushed.service },
        'a pushed deployment.triggered that Keptn does not list as open; ignored')
      return { status: 'ignored', reason: 'Keptn does not list this event as an open deployment.triggered of that project, stage and service' }
    }
    return { status: 'confirmed', td: parsed.value }
  }

  return {
    /** Takes a Keptn deployment.triggered CloudEvent from the push or the pull path. */
    async acceptTriggered (event: unknown, path: 'push' | 'pull'): Promise<TriggeredAnswer> {
      const type = (event as { type?: unknown } | null)?.type
      if (typeof type === 'string' && type !== DEPLOYMENT_TRIGGERED) {
        metrics?.triggeredReceived.inc({ path, result: 'ignored' })
        return { status: 'ignored', reason: `not a deployment.triggered event: ${type}` }
      }
      const now = clock()
      const parsed = triggeredFromCloudEvent(event, now, options.deploymentTimeoutMs)
      if (!parsed.ok) {
        metrics?.triggeredReceived.inc({ path, result: 'invalid' })
        return { status: 'invalid', reason: parsed.reason }
      }
      let td = parsed.value
      const badName = (['project', 'stage', 'service'] as const).find(field => !isKeptnName(td[field]))
      if (badName) {
        metrics?.triggeredReceived.inc({ path, result: 'invalid' })
        return { status: 'invalid', reason: `data.${badName}: not a Keptn name (lower-case letters, digits and -, starting with a letter)` }
      }
      if (options.projects.length > 0 && !options.projects.includes(td.project)) {
        metrics?.triggeredReceived.inc({ path, result: 'ignored' })
        return { status: 'ignored', reason: `project ${td.project} is not in KEPTN_PROJECTS` }
      }
      if (path === 'push' && deps.confirm) {
        const confirmed = await confirmWithKeptn(td, now)
        if (confirmed.status !== 'confirmed') return confirmed
        // Keptn's copy, not the pushed body, is what is stored and written to Git.
        td = confirmed.td
      }
      if (deps.writesToGit?.(td)) td.toGit = true
      const taken = await store.addTriggered(td, options.retentionMs, now)
      metrics?.triggeredReceived.inc({ path, result: taken ? 'accepted' : 'duplicate' })
      if (!taken) {
        // Whatever taking it on should have started may have been lost with a replica or a reply.
        deps.onTriggered?.(td)
        return { status: 'duplicate', triggeredId: td.triggeredId }
      }
      logger.info({ triggeredId: td.triggeredId, keptnContext: td.keptnContext, project: td.project, stage: td.stage, service: td.service, version: td.version, path },
        'took on a triggered deployment')
      deps.wake(td)
      if (!await finishedByHeldResult(td, now)) deps.onTriggered?.(td)
      return { status: 'accepted', triggeredId: td.triggeredId }
    },

    /** Correlates what a GitOps tool reported with the pending Keptn work. */
    async acceptResult (reported: DeploymentResult): Promise<ResultAnswer> {
      const now = clock()
      const result = await settled(reported)
      const age = now - result.occurredAt
      // An observation is read now, not replayed: the age of the state it saw is no replay risk.
      if (!result.observedIn && options.maxEventAgeMs > 0 && (age > options.maxEventAgeMs || -age > options.maxClockSkewMs)) {
        logger.warn({ object: result.object, reason: result.reason, ageMs: age }, 'ignored a stale event (too old or from the future)')
        return answer(result, 'ignored-stale', { status: 'ignored', reason: 'stale event' })
      }
      if (result.outcome === 'none') {
        const why = result === reported ? `not a deployment outcome: ${result.reason}` : `${result.reason} is not final: ${result.message}`
        return answer(result, 'ignored-not-outcome', { status: 'ignored', reason: why })
      }
      const mapping = await deps.resolve({ object: result.object, metadata: result.metadata, labels: result.labels })
      if (!mapping) {
        logger.info({ object: result.object, reason: result.reason }, 'no Keptn mapping for this object; ignored')
        return answer(result, 'ignored-unmapped', { status: 'ignored', reason: 'no Keptn mapping' })
      }
      const key = { project: mapping.project, stage: mapping.stage, service: mapping.service }
      const sequence = mapping.sequence ?? options.triggerSequence
      const request: ResolveRequest = {
        key,
        deliveryId: result.deliveryId,
        versions: result.versions,
        commit: result.commit ?? result.commitHint,
        ...(result.commit === undefined && result.commitHint ? { commitIsHint: true } : {}),
        strictVersions: options.versionMatch === 'strict' && result.imageEvidence === true,
        finished: finishedFrom(result, mapping.service, now),
        trigger: sequence && result.outcome === 'success' && !result.observedIn ? sequenceFor(result, mapping, sequence, now, options.evaluationWindowMs) : undefined,
        holdMs: result.observedIn ? 0 : holdFor(result),
        // An observed state is read again every round, age no bar: it is marked for as long as any
        // deployment it could finish may be pending.
        dedupeTtlMs: result.observedIn ? Math.max(options.dedupeTtlMs, options.deploymentTimeoutMs) : options.dedupeTtlMs,
        retentionMs: options.retentionMs,
        now
      }
      const resolved = await store.resolve(request)
      const log = { ...key, object: result.object, reason: result.reason, revision: result.revision, via: mapping.via }
      switch (resolved.status) {
        case 'duplicate':
          return answer(result, 'duplicate', { status: 'duplicate', ...key })
        case 'finished':
          logger.info({ ...log, triggeredId: resolved.triggeredId, outcome: result.outcome }, 'finishing the triggered deployment')
          deps.wake(key)
          return answer(result, 'accepted', { status: 'accepted', ...key, triggeredId: resolved.triggeredId, keptnContext: resolved.keptnContext })
        case 'triggered':
          logger.info({ ...log, sequence, keptnContext: resolved.keptnContext }, 'triggering the Keptn sequence after a GitOps deployment')
          deps.wake(key)
          return answer(result, 'accepted', { status: 'accepted', reason: `triggered ${mapping.stage}.${sequence}`, ...key, keptnContext: resolved.keptnContext })
        case 'already-triggered':
          return answer(result, 'ignored-already-triggered', { status: 'ignored', reason: 'sequence already triggered for this revision', ...key })
        case 'no-pending': {
          const why = result.outcome === 'failure' ? 'failure with no pending deployment: nothing triggered' : 'no pending deployment'
          logger.info(log, why)
          return answer(result, 'ignored-no-pending', { status: 'ignored', reason: why, ...key })
        }
      }
    }
  }
}

export type Engine = ReturnType<typeof createEngine>
