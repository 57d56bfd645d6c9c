import type { DeploymentResult, Outcome } from './types.js'

// When a HelmRelease event really ends a deployment, read from helm-controller's source (v1.0-v1.6,
// Flux 2.2-2.9; tests/peers/flux/EVENTS.md section 4): a first UpgradeFailed is not final while
// remediation retries remain (rollback, then another attempt), nor ever with the RetryOnFailure
// strategy; retries exhausted shows only in status (upgradeFailures > retries, Stalled), never as
// an event of its own; with tests enabled, UpgradeSucceeded is followed by TestSucceeded/TestFailed.

/** The parts of a helm-controller v2 HelmRelease (api/v2 HelmReleaseSpec/Status) this reads. */
export interface HelmReleaseState {
  spec?: {
    install?: ActionSpec
    upgrade?: ActionSpec
    test?: { enable?: boolean, ignoreFailures?: boolean }
  }
  status?: {
    installFailures?: number
    upgradeFailures?: number
    lastAttemptedReleaseAction?: string
    conditions?: Array<{ type?: string, status?: string, reason?: string, message?: string }>
  }
}

interface ActionSpec {
  strategy?: { name?: string }
  remediation?: { retries?: number, ignoreTestFailures?: boolean }
}

export interface Settled {
  outcome: Outcome
  /** Why the event's own outcome was changed; undefined when it stands. */
  why?: string
}

const failureReasons = new Set(['InstallFailed', 'UpgradeFailed', 'RollbackSucceeded', 'RollbackFailed', 'UninstallSucceeded', 'UninstallFailed', 'TestFailed'])

function actionOf (reason: string, release: HelmReleaseState): 'install' | 'upgrade' {
  const last = release.status?.lastAttemptedReleaseAction
  if (last === 'install' || last === 'upgrade') return last
  return /^(Install|Uninstall)/.test(reason) ? 'install' : 'upgrade'
}

/**
 * The outcome of a HelmRelease event given the object's current spec and status. Without the
 * object (no Kubernetes API, or the look-up failed) the event's own outcome stands, as before.
 */
export function settleHelmOutcome (result: Pick<DeploymentResult, 'outcome' | 'reason'>, release: HelmReleaseState | undefined): Settled {
  const { outcome, reason } = result
  if (!release || outcome === 'none') return { outcome }
  const spec = release.spec ?? {}
  const testsOn = spec.test?.enable === true
  if (outcome === 'success') {
    if (testsOn && (reason === 'InstallSucceeded' || reason === 'UpgradeSucceeded')) {
      return { outcome: 'none', why: 'spec.test.enable: the Helm tests that follow decide' }
    }
    return { outcome }
  }
  if (!failureReasons.has(reason)) return { outcome }
  const action = actionOf(reason, release)
  const actionSpec = spec[action] ?? {}
  if (reason === 'TestFailed' && (spec.test?.ignoreFailures === true || actionSpec.remediation?.ignoreTestFailures === true)) {
    return { outcome: 'success', why: 'Helm test failures are ignored for this release (test.ignoreFailures)' }
  }
  const stalled = release.status?.conditions?.find(c => c.type === 'Stalled' && c.status === 'True')
  if (stalled) return { outcome: 'failure', why: `Stalled: ${stalled.reason ?? ''} ${stalled.message ?? ''}`.trim() }
  if (actionSpec.strategy?.name === 'RetryOnFailure') {
    return { outcome: 'none', why: `${action} strategy RetryOnFailure: helm-controller tries again after retryInterval` }
  }
  const retries = actionSpec.remediation?.retries ?? 0
  if (retries < 0) return { outcome: 'none', why: `${action}.remediation.retries is ${retries} (unlimited): helm-controller tries again` }
  // The event is itself a failure of the action: status may not count it yet (helm-controller
  // patches status after the action that emitted it), so it counts as at least one. With the
  // default of no retries, the first failure is final whatever status says.
  const failures = Math.max(release.status?.[`${action}Failures`] ?? 0, 1)
  if (failures > retries) return { outcome: 'failure' }
  return { outcome: 'none', why: `${action} failure ${failures} of ${retries + 1} allowed (${action}.remediation.retries ${retries}): helm-controller remediates and tries again` }
}
