import type { Outcome } from './types.js'

export interface Classification {
  outcome: Outcome
  why: string
}

export interface ClassifyInput {
  reason: string
  severity: string
  message: string
  /** Flux's `reportingController`, when known. */
  controller?: string
}

/**
 * What a Flux reason means for a deployment, read from helm-controller v1.x and kustomize-controller
 * v1.x (tests/peers/flux/EVENTS.md). `RollbackSucceeded` and a remediation uninstall are failures: the
 * attempt failed and was undone. Drift handling, unlocking a stuck release (`PendingRelease`),
 * warnings emitted during a successful upgrade (`NamespaceCheckSkipped`, `InventoryBuildFailed`),
 * artifacts and values that could not be loaded (nothing was deployed; retried), uninstalls, source
 * events and progress are not deployment outcomes. Whether a HelmRelease failure is final (retries
 * left, RetryOnFailure) or a success is (tests enabled) is decided from the object's status
 * (helm-outcome.ts). Reasons ending in `Failed` that are not listed here fail.
 */
export const reasonTable: Readonly<Record<string, Outcome>> = Object.freeze({
  InstallSucceeded: 'success',
  UpgradeSucceeded: 'success',
  TestSucceeded: 'success',
  ReconciliationSucceeded: 'success',
  RollbackSucceeded: 'failure',
  InstallFailed: 'failure',
  UpgradeFailed: 'failure',
  TestFailed: 'failure',
  RollbackFailed: 'failure',
  UninstallFailed: 'failure',
  ReconciliationFailed: 'failure',
  HealthCheckFailed: 'failure',
  BuildFailed: 'failure',
  PruneFailed: 'failure',
  InitFailed: 'failure',
  GetLastReleaseFailed: 'failure',
  UninstallSucceeded: 'none',
  ArtifactFailed: 'none',
  ValuesError: 'none',
  DriftDetected: 'none',
  DriftCorrected: 'none',
  DriftCorrectionFailed: 'none',
  NamespaceCheckSkipped: 'none',
  InventoryBuildFailed: 'none',
  PendingRelease: 'none',
  HealthCheckCanceled: 'none',
  Progressing: 'none',
  DependencyNotReady: 'none',
  ReconciliationSkipped: 'none',
  NewArtifact: 'none',
  ArtifactUpToDate: 'none',
  GitOperationFailed: 'none'
})

// These controllers report on sources and image automation, never on a deployment: their
// `…Failed` reasons (GitOperationFailed, AuthenticationFailed, ChartPullFailed…) change nothing
// that runs.
const nonDeployingControllers = new Set(['source-controller', 'image-reflector-controller', 'image-automation-controller', 'notification-controller'])

// Older controllers (Flux 0.x, HelmRelease v2beta1) say it in the message under a generic reason
// (`info`/`error`). First match wins: the rollback line must come before the generic success line.
const messagePatterns: ReadonlyArray<readonly [RegExp, Outcome]> = [
  [/^Helm rollback\b.*\bsucceeded/i, 'failure'],
  [/^Helm (test|uninstall)\b/i, 'none'],
  [/^Helm (install|upgrade) succeeded/i, 'success'],
  [/^Helm (install|upgrade|rollback)\b.*\bfailed/i, 'failure'],
  [/^Release reconciliation succeeded/i, 'success'],
  [/^Reconciliation finished in /i, 'success'],
  [/^(Health check|Reconciliation|kustomize build|apply|prune) failed/i, 'failure']
]

/**
 * Reason + severity + message → success, failure or not an outcome. Precedence, first answer wins:
 * 1. an event from a non-deploying controller is not an outcome;
 * 2. the reason table, then any other reason ending in `Failed` (a failure);
 * 3. the message patterns (older controllers);
 * 4. severity. "Terminal" means: a controller only reports an unknown reason at error severity when
 *    the attempt is over and failed, so that fails; reasons that are retried by design
 *    (`DependencyNotReady`, `Progressing`…) are already answered by the table. Anything else is
 *    not an outcome.
 */
export function classify (event: ClassifyInput): Classification {
  const { reason, severity, controller } = event
  if (controller && nonDeployingControllers.has(controller)) return { outcome: 'none', why: `${controller} reports no deployments` }
  // An uninstall is an outcome only as install remediation: the failed install was removed.
  if (reason === 'UninstallSucceeded' && /^Helm uninstall remediation\b/i.test(event.message.trimStart())) {
    return { outcome: 'failure', why: 'install remediation: the failed install was uninstalled' }
  }
  const known = Object.hasOwn(reasonTable, reason) ? reasonTable[reason] : undefined
  if (known) return { outcome: known, why: `reason ${reason}` }
  if (/Failed$/.test(reason)) return { outcome: 'failure', why: `reason ${reason} ends in Failed` }
  const message = event.message.trimStart()
  for (const [pattern, outcome] of messagePatterns) {
    if (pattern.test(message)) return { outcome, why: `message matches ${pattern.source}` }
  }
  if (severity === 'error') return { outcome: 'failure', why: `error severity with unknown reason ${reason}` }
  return { outcome: 'none', why: `reason ${reason} is not an outcome` }
}

// Argo CD outcomes as judgeApplication names them, from Argo CD's own closed sets of operation
// phases, health and sync statuses (gitops-engine health.HealthStatusCode, common.OperationPhase).
const argoReasons = [
  ...['Failed', 'Error', 'Running', 'Terminating', 'Succeeded'].map(phase => `Sync${phase}`),
  ...['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown'].map(health => `Health${health}`),
  'Progressing', 'NoSyncOperation', 'OutOfSync', 'Synced', 'Unknown'
]
const metricReasons = new Set([...Object.keys(reasonTable), ...argoReasons])

/**
 * A reason as a metric label: the sender chooses reasons, so only the ones the Flux and Argo CD
 * controllers use are labels; anything else counts as `other` (one series, however many a sender
 * invents).
 */
export function reasonLabel (reason: string): string {
  return metricReasons.has(reason) ? reason : 'other'
}
