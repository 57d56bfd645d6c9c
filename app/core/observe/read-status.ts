import type { Outcome } from '../types.js'
import { commitFromRevision, commitHintFromRevision, versionsFromRevision } from '../versions.js'
import { fromArgoNotification } from '../sources/argocd.js'
import type { ArgoApplication } from '../../../schemas/argocd-notification.js'

// What a GitOps object's own status says about its last deployment, read the way its controller
// writes it (the Go types: helm-controller api/v2 HelmReleaseStatus and api/v2beta1/v2beta2,
// kustomize-controller api/v1 KustomizationStatus, Argo CD v1alpha1 ApplicationStatus; fluxcd/pkg
// runtime conditions Ready, Stalled, Released, TestSuccess).

interface Condition { type?: string, status?: string, reason?: string, message?: string, lastTransitionTime?: string }
export interface KubeObject {
  apiVersion?: string
  kind?: string
  metadata?: { name?: string, namespace?: string, uid?: string, generation?: number, labels?: Record<string, string>, annotations?: Record<string, string> }
  spec?: Record<string, unknown>
  status?: Record<string, unknown>
}

export interface Observation {
  /** success or failure: final; none: not (yet) an outcome, `state` says why. */
  outcome: Outcome
  /** When the status reached this state (ms); an outcome counts only if reached after the trigger. */
  at?: number
  reason: string
  /** One line for the status page and the `.finished` message. */
  state: string
  versions: string[]
  commit?: string
  commitHint?: string
  revision?: string
  imageEvidence?: boolean
}

const time = (value: unknown): number | undefined => {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN
  return Number.isNaN(ms) ? undefined : ms
}
const latest = (...values: Array<number | undefined>) => {
  const known = values.filter((v): v is number => v !== undefined)
  return known.length > 0 ? Math.max(...known) : undefined
}
const conditionsOf = (status: Record<string, unknown> | undefined): Condition[] =>
  Array.isArray(status?.conditions) ? status.conditions as Condition[] : []
const str = (value: unknown): string | undefined => typeof value === 'string' && value !== '' ? value : undefined

/** A status the controller has not caught up with (spec changed since it last wrote status). */
function behind (object: KubeObject): boolean {
  const generation = object.metadata?.generation
  const observed = object.status?.observedGeneration
  return typeof generation === 'number' && typeof observed === 'number' && observed < generation
}

function stalled (conditions: Condition[]): Observation | undefined {
  const c = conditions.find(c => c.type === 'Stalled' && c.status === 'True')
  if (!c) return undefined
  return { outcome: 'failure', at: time(c.lastTransitionTime), reason: c.reason ?? 'Stalled', state: `Stalled: ${c.reason ?? ''} ${c.message ?? ''}`.trim(), versions: [] }
}

function helmRelease (object: KubeObject): Observation {
  const status = object.status ?? {}
  const conditions = conditionsOf(status)
  const history = Array.isArray(status.history) ? status.history as Array<Record<string, unknown>> : []
  // v2 and v2beta2 keep history (newest first); v2beta1 only lastAppliedRevision (the chart version).
  // A rollback remediation puts the rolled-back-to release at history[0] (helm-controller
  // internal/reconcile/rollback_remediation.go observeRollback): it is not what was attempted.
  const last = history[0]?.action === 'rollback' ? {} : history[0] ?? {}
  const chartVersion = str(last.chartVersion) ?? str(status.lastAppliedRevision)
  const appVersion = str(last.appVersion)
  // An OCI chart's `+<hex>` is its digest, never a commit (the event says so with `oci-digest`).
  const metadata: Record<string, string> = {
    ...(str(last.ociDigest) ? { 'oci-digest': String(last.ociDigest) } : {}),
    ...(appVersion ? { 'app-version': appVersion } : {})
  }
  const factsOf = (revision: string | undefined, meta: Record<string, string>) => {
    const commitHint = commitHintFromRevision(revision, meta)
    return { versions: versionsFromRevision(revision, meta), ...(revision ? { revision } : {}), ...(commitHint ? { commitHint } : {}) }
  }
  const facts = factsOf(chartVersion, metadata)
  // A failure is about the chart version last attempted (status.lastAttemptedRevision), which
  // history[0] may no longer show; nothing says which app version it carried.
  const attempted = history[0]?.action === 'rollback' ? factsOf(str(status.lastAttemptedRevision) ?? chartVersion, {}) : facts
  const failed = stalled(conditions)
  if (failed) return { ...failed, ...attempted }
  if (behind(object)) return { outcome: 'none', reason: 'Progressing', state: 'helm-controller has not reconciled the latest spec yet', ...attempted }
  const ready = conditions.find(c => c.type === 'Ready')
  if (ready?.status !== 'True') {
    return { outcome: 'none', reason: ready?.reason ?? 'Unknown', state: `Ready ${ready?.status ?? 'unknown'}${ready?.reason ? ` (${ready.reason})` : ''}: not final while remediation may retry`, ...attempted }
  }
  // Ready includes TestSuccess only when tests run and their failures count
  // (internal/reconcile/release.go summarize: Test.Enable && !Test.IgnoreFailures).
  const test = object.spec?.test as { enable?: boolean, ignoreFailures?: boolean } | undefined
  const testsDecide = test?.enable === true && test.ignoreFailures !== true
  const tests = conditions.find(c => c.type === 'TestSuccess')
  if (testsDecide && tests?.status !== 'True') return { outcome: 'none', reason: 'TestPending', state: 'Ready, waiting for the Helm tests', ...facts }
  if (last.status !== undefined && last.status !== 'deployed') {
    return { outcome: 'none', reason: String(last.status), state: `last release is ${String(last.status)}`, ...facts }
  }
  // When it was deployed: history[0].lastDeployed (v2, v2beta2). Ready's transition moves without
  // a release (DependencyNotReady, HelmChartNotReady and back), so it stands in only for v2beta1.
  const deployedAt = history.length > 0 ? time(last.lastDeployed) : time(ready.lastTransitionTime)
  const at = deployedAt === undefined ? undefined : latest(deployedAt, testsDecide ? time(tests?.lastTransitionTime) : undefined)
  return { outcome: 'success', at, reason: ready.reason ?? 'Ready', state: `Ready: chart ${chartVersion ?? '?'}${appVersion ? `, app ${appVersion}` : ''}`, ...facts }
}

function kustomization (object: KubeObject): Observation {
  const status = object.status ?? {}
  const conditions = conditionsOf(status)
  const applied = str(status.lastAppliedRevision)
  const attempted = str(status.lastAttemptedRevision)
  const commit = commitFromRevision(applied)
  const facts = { versions: versionsFromRevision(applied), ...(applied ? { revision: applied } : {}), ...(commit ? { commit } : {}) }
  const failed = stalled(conditions)
  if (failed) return { ...failed, ...facts }
  if (behind(object)) return { outcome: 'none', reason: 'Progressing', state: 'kustomize-controller has not reconciled the latest spec yet', ...facts }
  const ready = conditions.find(c => c.type === 'Ready')
  if (ready?.status !== 'True') {
    return { outcome: 'none', reason: ready?.reason ?? 'Unknown', state: `Ready ${ready?.status ?? 'unknown'}${ready?.reason ? ` (${ready.reason})` : ''}: kustomize-controller retries`, ...facts }
  }
  if (attempted !== undefined && attempted !== applied) {
    return { outcome: 'none', reason: 'Progressing', state: `applying ${attempted}`, ...facts }
  }
  // Ready goes Unknown and back to True on every reconcile (kustomization_controller.go), so its
  // lastTransitionTime moves each spec.interval: when the revision was applied is the history
  // entry's firstReconciled (api/v1 status.history, fluxcd/pkg/apis/meta history.go), for the
  // applied revision. A controller without history cannot say when: not observed.
  const history = Array.isArray(status.history) ? status.history as Array<Record<string, unknown>> : []
  const entry = history[0]
  const entryRevision = (entry?.metadata as { revision?: unknown } | undefined)?.revision
  if (!entry || entry.lastReconciledStatus !== 'ReconciliationSucceeded' || entryRevision !== applied) {
    return { outcome: 'none', reason: ready.reason ?? 'ReconciliationSucceeded', state: `Ready: applied ${applied ?? '?'}, but status.history does not say since when`, ...facts }
  }
  return { outcome: 'success', at: time(entry.firstReconciled), reason: ready.reason ?? 'ReconciliationSucceeded', state: `Ready: applied ${applied ?? '?'}`, ...facts }
}

function application (object: KubeObject, now: number): Observation {
  const app = object as unknown as ArgoApplication
  const result = fromArgoNotification({ app }, now)
  const status = object.status as { operationState?: { finishedAt?: string, phase?: string }, health?: { status?: string, lastTransitionTime?: string }, sync?: { status?: string } } | undefined
  const finishedAt = time(status?.operationState?.finishedAt)
  // An outcome belongs to a sync operation: the gate is when it finished. Health may settle later
  // (and flaps move health.lastTransitionTime without a sync), so it never dates the outcome alone.
  const at = finishedAt === undefined ? undefined : result.outcome === 'success' ? latest(finishedAt, time(status?.health?.lastTransitionTime)) : finishedAt
  const state = `sync ${status?.sync?.status ?? '?'}, operation ${status?.operationState?.phase ?? 'none'}, health ${status?.health?.status ?? '?'}`
  return {
    outcome: result.outcome,
    ...(at !== undefined ? { at } : {}),
    reason: result.reason,
    state,
    versions: result.versions,
    ...(result.imageEvidence ? { imageEvidence: true } : {}),
    ...(result.commit ? { commit: result.commit } : {}),
    ...(result.revision ? { revision: result.revision } : {})
  }
}

/** What the object's status says; `now` only stands in where Argo CD names no time. */
export function readStatus (object: KubeObject, now: number): Observation {
  switch (object.kind) {
    case 'HelmRelease': return helmRelease(object)
    case 'Kustomization': return kustomization(object)
    case 'Application': return application(object, now)
    default: return { outcome: 'none', reason: 'Unknown', state: `not an observed kind: ${object.kind ?? '?'}`, versions: [] }
  }
}
