import t from 'tap'
import { classify, reasonTable } from '../../app/core/classify.js'
import type { Outcome } from '../../app/core/types.js'

const outcome = (reason: string, severity = 'info', message = '', controller?: string) =>
  classify({ reason, severity, message, controller }).outcome

t.test('every reason Flux v2 controllers send is classified (helm-controller v1.5, kustomize-controller v1.8)', async t => {
  const expected: Record<string, Outcome> = {
    InstallSucceeded: 'success',
    UpgradeSucceeded: 'success',
    TestSucceeded: 'success',
    ReconciliationSucceeded: 'success',
    InstallFailed: 'failure',
    UpgradeFailed: 'failure',
    TestFailed: 'failure',
    RollbackSucceeded: 'failure',
    RollbackFailed: 'failure',
    UninstallFailed: 'failure',
    HealthCheckFailed: 'failure',
    BuildFailed: 'failure',
    ReconciliationFailed: 'failure',
    PruneFailed: 'failure',
    InitFailed: 'failure',
    GetLastReleaseFailed: 'failure',
    // Nothing was deployed (the chart or values could not be loaded; retried), or it is not about
    // a deployment at all.
    ArtifactFailed: 'none',
    ValuesError: 'none',
    UninstallSucceeded: 'none',
    DriftDetected: 'none',
    DriftCorrected: 'none',
    DriftCorrectionFailed: 'none',
    // Flux 2.8: warnings emitted during a successful install/upgrade, before its ...Succeeded.
    NamespaceCheckSkipped: 'none',
    InventoryBuildFailed: 'none',
    PendingRelease: 'none',
    HealthCheckCanceled: 'none',
    Progressing: 'none',
    DependencyNotReady: 'none',
    NewArtifact: 'none',
    ArtifactUpToDate: 'none',
    GitOperationFailed: 'none'
  }
  for (const [reason, want] of Object.entries(expected)) {
    const severity = want === 'success' ? 'info' : 'error'
    t.equal(outcome(reason, severity), want, reason)
    t.equal(reasonTable[reason], want, `${reason} is in the documented table`)
  }
})

t.test('the reason wins over severity and message', async t => {
  t.equal(outcome('DependencyNotReady', 'error', 'dependency flux-system/infra is not ready'), 'none')
  t.equal(outcome('NamespaceCheckSkipped', 'error', 'failed to determine if CustomResourceDefinition is namespace scoped, skipping namespace'), 'none')
  t.equal(outcome('UpgradeSucceeded', 'info', 'Helm upgrade failed: this message is ignored'), 'success')
})

t.test('an uninstall is a failure only as install remediation', async t => {
  t.equal(outcome('UninstallSucceeded', 'info', 'Helm uninstall remediation for release podtato-dev/helloservice.v1 with chart podtato-head@0.3.2 succeeded'), 'failure')
  t.equal(outcome('UninstallSucceeded', 'info', 'Helm uninstall succeeded for release podtato-dev/helloservice.v3 with chart podtato-head@0.3.2'), 'none')
})

t.test('an unlisted reason ending in Failed fails', async t => {
  t.equal(outcome('ValuesFailed', 'error'), 'failure')
  t.equal(outcome('SomethingNewFailed', 'info'), 'failure')
})

t.test('older controllers are classified by their message', async t => {
  const cases: Array<[string, string, Outcome]> = [
    ['info', 'Helm install succeeded', 'success'],
    ['info', 'Helm upgrade succeeded', 'success'],
    ['info', 'Release reconciliation succeeded', 'success'],
    ['info', 'Reconciliation finished in 1.2s, next run in 10m0s', 'success'],
    ['error', 'Helm upgrade failed: timed out waiting for the condition', 'failure'],
    ['error', 'Helm install failed: rendered manifests contain a resource that already exists', 'failure'],
    ['info', 'Helm rollback succeeded', 'failure'],
    ['info', 'Helm rollback to previous release podtato-dev/helloservice.v3 with chart podtato-head@1.4.0 succeeded', 'failure'],
    ['error', "Health check failed after 5m0s: timeout waiting for: [Deployment/podtato-dev/helloservice status: 'InProgress']", 'failure'],
    ['info', 'Helm test succeeded', 'none'],
    ['error', 'Helm test failed: pod helloservice-test failed', 'none'],
    ['error', 'Helm uninstall failed: release not found', 'none']
  ]
  for (const [reason, message, want] of cases) {
    t.equal(outcome(reason, reason, message), want, message)
  }
})

t.test('severity decides an unknown reason with an unknown message', async t => {
  t.equal(outcome('error', 'error', 'something went wrong'), 'failure', 'error severity is terminal')
  t.equal(outcome('Suspended', 'info', 'reconciliation is suspended'), 'none', 'info severity is not an outcome')
  t.equal(outcome('reason', 'trace', 'message'), 'none')
})

t.test('source and image automation events are never outcomes, even when they fail', async t => {
  t.equal(outcome('AuthenticationFailed', 'error', 'failed to checkout', 'source-controller'), 'none')
  t.equal(outcome('error', 'error', 'cannot push', 'image-automation-controller'), 'none')
  t.equal(outcome('ReconciliationSucceeded', 'info', 'ok', 'kustomize-controller'), 'success')
})

t.test('a reason named like an Object method is just an unknown reason', async t => {
  t.equal(outcome('constructor', 'info'), 'none')
  t.equal(outcome('toString', 'error'), 'failure')
})

t.test('each answer says why', async t => {
  t.match(classify({ reason: 'info', severity: 'info', message: 'Helm upgrade succeeded' }), { outcome: 'success', why: /message/ })
  t.match(classify({ reason: 'UpgradeFailed', severity: 'error', message: '' }), { outcome: 'failure', why: /UpgradeFailed/ })
})
