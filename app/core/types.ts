// The internal shapes every source translates into at the edge. Nothing past the edge knows
// whether Flux, Argo CD or Keptn's push or pull path produced them.

export interface ServiceKey {
  project: string
  stage: string
  service: string
}

/** A Keptn `sh.keptn.event.deployment.triggered` we have taken on. */
export interface TriggeredDeployment extends ServiceKey {
  triggeredId: string
  keptnContext: string
  /** Expected version (image tag or a version label), normalised, when Keptn named one. */
  version?: string
  /**
   * Expected GitOps commit (full or abbreviated sha), when known: a `gitCommit`/`commit` label, or
   * the commit the bridge wrote to Git. Never Keptn's `gitcommitid` (see configCommit).
   */
  commit?: string
  /** The triggered event's `gitcommitid`: Keptn's configuration-repo commit, echoed back, never compared. */
  configCommit?: string
  image?: string
  /**
   * The bridge writes this deployment's change to Git (GIT_TARGETS): until it has pushed, no result
   * can be about that change, so only one naming its version finishes it (it is never a fallback).
   */
  toGit?: boolean
  /** The commit the bridge pushed to Git for it. */
  pushed?: string
  deploymentStrategy?: string
  labels?: Record<string, string>
  receivedAt: number
  deadline: number
}

export type Outcome = 'success' | 'failure' | 'none'

/** The Kubernetes object a GitOps tool reported on. */
export interface ObjectRef {
  kind: string
  namespace: string
  name: string
  apiVersion?: string
  uid?: string
}

/** What a GitOps tool reported, translated from its own wire format. */
export interface DeploymentResult {
  source: 'flux' | 'argocd'
  object: ObjectRef
  outcome: Outcome
  reason: string
  message: string
  /** Versions this result is evidence of (app version, OCI or git tags, image tags), normalised. */
  versions: string[]
  /**
   * True when `versions` hold the tags of the images the tool reports running (Argo CD's
   * summary.images). Only such evidence may exclude a deployment whose known version none matches
   * (VERSION_MATCH=strict); an app version or an artifact tag only ever matches: a values-only image
   * bump keeps the chart's appVersion.
   */
  imageEvidence?: boolean
  /** The git commit sha this result deployed, when the revision names one. */
  commit?: string
  /**
   * 12 hex that may be a commit: helm-controller's `<chart version>+<12 hex>` for a chart built from
   * a GitRepository (a commit) or a Bucket (a digest), never an OCI chart (`oci-digest` metadata).
   * It finishes a deployment whose expected commit starts with it, and never excludes one.
   */
  commitHint?: string
  /** The revision as the tool wrote it, for messages and labels. */
  revision?: string
  /** Key/value metadata (Flux event metadata, Argo CD annotations) used by mapping. */
  metadata: Record<string, string>
  /** Labels of the object when the source carries them (Argo CD does, Flux never). */
  labels?: Record<string, string>
  /** When the tool says the event happened (ms since epoch). */
  occurredAt: number
  /** Identity of this delivery: equal for retried deliveries of the same event. */
  deliveryId: string
  /**
   * Set when the bridge read this from the object's own status (OBSERVE_INTERVAL) rather than
   * being told by a webhook: e.g. "HelmRelease podtato/helloservice". It only ever finishes a
   * pending deployment: it triggers no sequence and is not held for one on its way.
   */
  observedIn?: string
}

/** The answer to a finished deployment, as Keptn will see it in `.finished` data. */
export interface FinishedResult {
  status: 'succeeded' | 'errored' | 'unknown'
  result: 'pass' | 'warning' | 'fail'
  message: string
  deploymentNames: string[]
  gitCommit?: string
  revision?: string
  source: string
  finishedAt: number
}

/** A sequence to trigger in Keptn after a GitOps-first deployment. */
export interface SequenceTrigger extends ServiceKey {
  sequence: string
  keptnContext: string
  revision: string
  labels: Record<string, string>
  createdAt: number
  /**
   * The window lighthouse evaluates (EVALUATION_WINDOW from when the GitOps tool deployed), as
   * Keptn timestamps: without one, lighthouse 1.4.5 errors every evaluation of the sequence.
   */
  evaluation?: { start: string, end: string }
}

export type OutboxEntry =
  | { id: string, kind: 'started', pending: TriggeredDeployment, attempts?: DeliveryAttempt[] }
  | { id: string, kind: 'finished', pending: TriggeredDeployment, result: FinishedResult, attempts?: DeliveryAttempt[] }
  | { id: string, kind: 'trigger', trigger: SequenceTrigger, attempts?: DeliveryAttempt[] }

export interface DeliveryAttempt {
  at: number
  status?: number
  message: string
  /** The event may have reached Keptn (no answer came back): Keptn is asked before it is sent again. */
  uncertain?: boolean
}

export interface DeadLetter {
  entry: OutboxEntry
  attempts: DeliveryAttempt[]
  deadAt: number
}

/** A recent outcome shown on the status page and in /api/v1/deployments. */
export interface RecentOutcome extends ServiceKey {
  triggeredId?: string
  keptnContext: string
  kind: 'finished' | 'trigger' | 'timeout'
  status?: string
  result?: string
  revision?: string
  message: string
  at: number
}
