import { createHash } from 'node:crypto'
import type { ArgoApplication, ArgoNotification } from '../../../schemas/argocd-notification.js'
import type { DeploymentResult, ObjectRef, Outcome } from '../types.js'
import { commitFromRevision, normaliseVersion, versionsFromRevision } from '../versions.js'
import { imageTag } from '../keptn-events.js'

type Status = NonNullable<ArgoApplication['status']>

/**
 * The Application's state → outcome. A failed or errored sync fails. A sync still running is no
 * outcome even when health is Degraded: that health belongs to what ran before the sync. Otherwise
 * Degraded fails, and only a finished sync that is Healthy (and Synced, when reported) succeeds.
 */
export function judgeApplication (status: Status | undefined): { outcome: Outcome, reason: string } {
  const phase = status?.operationState?.phase
  const health = status?.health?.status
  const sync = status?.sync?.status
  if (phase === 'Failed' || phase === 'Error') return { outcome: 'failure', reason: `Sync${phase}` }
  if (phase === 'Running' || phase === 'Terminating') return { outcome: 'none', reason: `Sync${phase}` }
  if (health === 'Degraded') return { outcome: 'failure', reason: 'HealthDegraded' }
  if (phase === 'Succeeded' && health === 'Healthy') {
    return sync === undefined || sync === 'Synced' ? { outcome: 'success', reason: 'SyncSucceeded' } : { outcome: 'none', reason: sync }
  }
  if (health === 'Progressing') return { outcome: 'none', reason: 'Progressing' }
  if (phase === undefined) return { outcome: 'none', reason: 'NoSyncOperation' }
  return { outcome: 'none', reason: `Health${health ?? 'Unknown'}` }
}

function messageOf (status: Status | undefined, reason: string): string {
  const op = status?.operationState?.message ?? ''
  if (reason !== 'HealthDegraded') return op
  // The sync itself said "successfully synced": the why is in the degraded resources.
  const degraded = (status?.resources ?? [])
    .filter(r => r.health?.status === 'Degraded')
    .slice(0, 3)
    .map(r => `${r.kind ?? '?'} ${r.namespace ? r.namespace + '/' : ''}${r.name ?? '?'}${r.health?.message ? ': ' + r.health.message : ''}`)
  return ['application health is Degraded', status?.health?.message, ...degraded].filter(Boolean).join('; ')
}

function latest (...times: Array<string | undefined>): number | undefined {
  const parsed = times.map(t => (t ? Date.parse(t) : NaN)).filter(n => !Number.isNaN(n))
  return parsed.length > 0 ? Math.max(...parsed) : undefined
}

/**
 * The object an Application is reported and mapped as: named by its destination namespace (where
 * it deploys), as mapping rules are written, not the namespace the Application lives in.
 */
export function applicationRef (app: ArgoApplication): ObjectRef {
  const { metadata } = app
  const object: ObjectRef = { kind: 'Application', namespace: app.spec?.destination?.namespace ?? metadata.namespace ?? '', name: metadata.name }
  if (app.apiVersion) object.apiVersion = app.apiVersion
  if (metadata.uid) object.uid = metadata.uid
  return object
}

/**
 * Translates an Argo CD notification (`{"app": {{toJson .app}}}`) into a DeploymentResult. The
 * Application's labels and annotations travel with it, so mapping needs no Kubernetes look-up.
 * `now` (the service's clock) is when it happened if the Application names no time.
 */
export function fromArgoNotification ({ app }: ArgoNotification, now: number): DeploymentResult {
  const { metadata, status } = app
  const op = status?.operationState
  const { outcome, reason } = judgeApplication(status)
  // Multi-source apps list one revision per source: a git sha, a chart version, an OCI digest.
  // A running sync has no result yet: its target is in operation.sync.
  const sources = [op?.syncResult, op?.operation?.sync, status?.sync]
  const revisions = sources.flatMap(s => [s?.revision, ...(s?.revisions ?? [])])
    .filter((r): r is string => typeof r === 'string' && r !== '')
  const revision = revisions[0]
  const commit = revisions.map(commitFromRevision).find(c => c !== undefined)
  // Evidence of versions: the image tags Argo CD reports as running (the same tag Keptn names in
  // configurationChange.values.image), plus OCI or git tags among the revisions. Chart versions are
  // not evidence of an image (see versionsFromRevision).
  // A failed sync applied nothing new: the images Argo CD reports are the old pods', no evidence of
  // what this sync was meant to deploy (they would match an older deployment or exclude this one).
  const syncFailed = op?.phase === 'Failed' || op?.phase === 'Error'
  const tags = syncFailed ? [] : (status?.summary?.images ?? []).map(imageTag).filter((t): t is string => t !== undefined)
  const versions = [...new Set([...tags.map(normaliseVersion), ...revisions.flatMap(r => versionsFromRevision(r))])]
  const object = applicationRef(app)
  // Equal for repeated notifications of one state of one sync; a new sync or state is a new delivery.
  const identity = JSON.stringify([metadata.uid ?? `${metadata.namespace ?? ''}/${metadata.name}`, revision ?? null, op?.phase ?? null, status?.health?.status ?? null, op?.finishedAt ?? null, outcome])
  return {
    source: 'argocd',
    object,
    outcome,
    reason,
    message: messageOf(status, reason),
    versions,
    imageEvidence: tags.length > 0,
    ...(commit ? { commit } : {}),
    ...(revision ? { revision } : {}),
    metadata: metadata.annotations ?? {},
    labels: metadata.labels ?? {},
    // Health turns Healthy minutes after the sync finished; reconciledAt is when Argo CD saw it.
    occurredAt: latest(op?.finishedAt, status?.reconciledAt) ?? now,
    deliveryId: createHash('sha256').update(identity).digest('hex')
  }
}
