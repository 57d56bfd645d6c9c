import t from 'tap'
import { readStatus, type KubeObject } from '../../../app/core/observe/read-status.js'
import * as o from './objects.js'

// The objects come from ./objects.ts, shaped from the controllers' Go types (helm-controller api/v2
// and v2beta1, kustomize-controller api/v1, Argo CD v3 v1alpha1); tests/peers/observe.test.ts
// proves it by decoding each one strictly into those types.

/** The service's clock: far from every time in the objects, so using it instead would show. */
const now = Date.UTC(2031, 4, 6, 7, 8, 9)
const at = (time: string) => Date.parse(time)
const read = (object: KubeObject) => readStatus(object, now)
const gitRevision = `main@sha1:${o.commit}`
/** A copy with status changed by `edit` (the status as loosely typed as the API server's JSON). */
const edited = (object: KubeObject, edit: (status: Record<string, any>) => void): KubeObject => {
  const copy = structuredClone(object)
  edit(copy.status as Record<string, any>)
  return copy
}

t.test('HelmRelease v2 Ready and deployed: success when history[0].lastDeployed says', async t => {
  const seen = read(o.helmReleaseDeployed)
  t.same(seen, {
    outcome: 'success',
    at: at('2026-05-04T10:02:05Z'),
    reason: 'UpgradeSucceeded',
    state: `Ready: chart ${o.chartVersion}, app 0.3.2`,
    versions: ['0.3.2'],
    revision: o.chartVersion,
    commitHint: 'abcdef123456'
  }, 'versions from history[0].appVersion, revision the chart version, its +hex a commit hint, never a commit')
  t.notOk('commit' in seen, 'a chart version names no commit')
  const deployedLater = edited(o.helmReleaseDeployed, s => { s.history[0].lastDeployed = '2026-05-04T10:02:45Z' })
  t.equal(read(deployedLater).at, at('2026-05-04T10:02:45Z'), 'a later release moves it')
  // helm-controller sets Ready False on DependencyNotReady or HelmChartNotReady and back to True
  // without a release: that moves Ready's transition time, never when the chart was deployed.
  const readyFlapped = edited(o.helmReleaseDeployed, s => { s.conditions.find((c: { type: string }) => c.type === 'Ready').lastTransitionTime = '2026-05-04T11:00:00Z' })
  t.equal(read(readyFlapped).at, at('2026-05-04T10:02:05Z'), 'a Ready flap without a release does not make an old release new')
})

t.test('HelmRelease v2 from an OCIRepository: the chart version\'s +hex are the digest\'s, no commit hint', async t => {
  const seen = read(o.helmReleaseOci)
  t.match(seen, { outcome: 'success', revision: o.chartVersion, versions: ['0.3.2'] })
  t.notOk('commitHint' in seen, 'history[0].ociDigest is set')
  t.notOk('commit' in seen)
})

t.test('HelmRelease v2 observedGeneration behind metadata.generation: not final', async t => {
  const seen = read(o.helmReleaseBehind)
  t.match(seen, { outcome: 'none', reason: 'Progressing', state: /not reconciled the latest spec/ })
  t.notOk('at' in seen)
})

t.test('HelmRelease v2 Ready False (UpgradeFailed) with retries left: not final', async t => {
  const seen = read(o.helmReleaseUpgradeFailed)
  t.match(seen, { outcome: 'none', reason: 'UpgradeFailed', state: /^Ready False \(UpgradeFailed\): not final/ })
  t.match(seen, { revision: '0.1.1+fedcba987654', versions: ['0.3.3'] }, 'history[0] is the failed release')
  t.notOk('at' in seen)
})

t.test('HelmRelease v2 Stalled True: failure when it stalled', async t => {
  t.match(read(o.helmReleaseStalled), {
    outcome: 'failure',
    at: at('2026-05-04T10:18:00Z'),
    reason: 'RetriesExceeded',
    state: 'Stalled: RetriesExceeded Failed to upgrade after 3 attempt(s)'
  })
})

t.test('HelmRelease v2 Stalled after a rollback: the facts are the attempted release\'s', async t => {
  // history[0] is the rollback to the previous chart (helm-controller rollback_remediation.go
  // observeRollback prepends it); status.lastAttemptedRevision is the chart version attempted.
  t.match(read(o.helmReleaseStalled), { revision: '0.1.1+fedcba987654' }, 'the attempted chart version')
})

t.test('HelmRelease v2 with spec.test.enable: not final until TestSuccess is True', async t => {
  t.match(read(o.helmReleaseTestsPending), { outcome: 'none', reason: 'TestPending', state: 'Ready, waiting for the Helm tests' })
  const awaiting = edited(o.helmReleaseTestsPending, s => {
    s.conditions.push({ type: 'TestSuccess', status: 'Unknown', observedGeneration: 3, lastTransitionTime: '2026-05-04T10:02:30Z', reason: 'AwaitingTests', message: 'Helm release podtato-dev/helloservice.v4 with chart helloservice@0.1.0+abcdef123456 is awaiting tests' })
  })
  t.match(read(awaiting), { outcome: 'none', reason: 'TestPending' }, 'TestSuccess Unknown (AwaitingTests), as Upgrade.success writes it')
  t.same(read(o.helmReleaseTestsPassed), {
    outcome: 'success',
    at: at('2026-05-04T10:03:41Z'),
    reason: 'TestSucceeded',
    state: `Ready: chart ${o.chartVersion}, app 0.3.2`,
    versions: ['0.3.2'],
    revision: o.chartVersion,
    commitHint: 'abcdef123456'
  }, 'TestSuccess True: success, at the latest of Ready, lastDeployed and TestSuccess')
})

t.test('HelmRelease v2 with spec.test.ignoreFailures: failed tests do not hold a Ready release', async t => {
  // helm-controller internal/reconcile/release.go summarize() leaves TestSuccess out of Ready when
  // spec.test.ignoreFailures, so Ready True is final with TestSuccess False.
  const seen = read(o.helmReleaseTestsFailedIgnored)
  t.match(seen, { outcome: 'success' }, 'Ready True decides')
  t.equal(seen.at, Date.parse((o.helmReleaseTestsFailedIgnored.status as { history: Array<{ lastDeployed: string }> }).history[0]!.lastDeployed), 'deployed at, not when the tests failed')
})

t.test('HelmRelease v2 history[0].status failed while Ready True: not final', async t => {
  t.match(read(o.helmReleaseLastFailed), { outcome: 'none', reason: 'failed', state: 'last release is failed' })
})

t.test('HelmRelease v2beta1 (no history): success, the revision from lastAppliedRevision', async t => {
  const seen = read(o.helmReleaseV2beta1)
  t.same(seen, {
    outcome: 'success',
    at: at('2026-05-04T10:01:10Z'),
    reason: 'ReconciliationSucceeded',
    state: 'Ready: chart 6.5.0',
    versions: [],
    revision: '6.5.0'
  }, 'a chart version is no evidence of an image version, and 6.5.0 has no commit hint')
})

t.test('Kustomization Ready True, applied == attempted: success with the commit of the revision', async t => {
  t.same(read(o.kustomizationReady), {
    outcome: 'success',
    at: at('2026-05-04T10:03:10Z'),
    reason: 'ReconciliationSucceeded',
    state: `Ready: applied ${gitRevision}`,
    versions: [],
    revision: gitRevision,
    commit: o.commit
  })
})

t.test('Kustomization reconciled again with the same revision: at stays when the revision was applied', async t => {
  const seen = read(o.kustomizationReconciledAgain)
  t.match(seen, { outcome: 'success', commit: o.commit })
  t.equal(seen.at, at('2026-05-04T10:03:10Z'), 'history[0].firstReconciled of the applied revision')
})

t.test('Kustomization lastAttemptedRevision != lastAppliedRevision: not final', async t => {
  const seen = read(o.kustomizationAttempting)
  t.match(seen, { outcome: 'none', reason: 'Progressing', state: `applying main@sha1:${o.nextCommit}`, commit: o.commit })
  t.notOk('at' in seen)
})

t.test('Kustomization Ready Unknown (Progressing): not final', async t => {
  t.match(read(o.kustomizationProgressing), { outcome: 'none', reason: 'Progressing', state: /^Ready Unknown \(Progressing\)/ })
})

t.test('Kustomization Stalled True: failure when it stalled, even with observedGeneration behind', async t => {
  t.match(read(o.kustomizationStalled), {
    outcome: 'failure',
    at: at('2026-05-04T10:05:00Z'),
    reason: 'AccessDenied',
    state: /^Stalled: AccessDenied cross-namespace references are not allowed/,
    commit: o.commit
  })
})

t.test('Kustomization from an OCIRepository: the tag is a version, the digest no commit', async t => {
  const revision = `v1.2.3@${o.manifestsDigest}`
  const seen = read(o.kustomizationOci)
  t.same(seen, {
    outcome: 'success',
    at: at('2026-05-04T10:03:10Z'),
    reason: 'ReconciliationSucceeded',
    state: `Ready: applied ${revision}`,
    versions: ['1.2.3'],
    revision
  })
  t.notOk('commit' in seen, 'lastAppliedOriginRevision is not read')
})

t.test('Application sync Succeeded, Synced and Healthy: success when health settled', async t => {
  t.same(read(o.applicationSynced), {
    outcome: 'success',
    at: at('2026-05-04T10:04:00Z'),
    reason: 'SyncSucceeded',
    state: 'sync Synced, operation Succeeded, health Healthy',
    versions: ['0.3.2'],
    imageEvidence: true,
    commit: o.commit,
    revision: o.commit
  }, 'the later of operationState.finishedAt and health.lastTransitionTime; the image tag as version')
  const healthyBefore = edited(o.applicationSynced, s => { s.health.lastTransitionTime = '2026-04-28T16:31:00Z' })
  t.equal(read(healthyBefore).at, at('2026-05-04T10:03:00Z'), 'finishedAt when health did not change')
  const noHealthTime = edited(o.applicationSynced, s => { delete s.health.lastTransitionTime })
  t.equal(read(noHealthTime).at, at('2026-05-04T10:03:00Z'), 'finishedAt when health names no time (Argo CD 2.x)')
})

t.test('Application operation Failed: failure at finishedAt, the old pods\' images no evidence', async t => {
  const seen = read(o.applicationSyncFailed)
  t.same(seen, {
    outcome: 'failure',
    at: at('2026-05-04T10:03:30Z'),
    reason: 'SyncFailed',
    state: 'sync OutOfSync, operation Failed, health Healthy',
    versions: [],
    commit: o.nextCommit,
    revision: o.nextCommit
  })
})

t.test('a kind the observer does not read: no outcome', async t => {
  t.same(read(o.deployment), { outcome: 'none', reason: 'Unknown', state: 'not an observed kind: Deployment', versions: [] })
  t.match(read({ metadata: { name: 'x' } }), { outcome: 'none', state: 'not an observed kind: ?' })
})

t.test('Kustomization without status.history (older kustomize-controller): Ready says nothing of since when, so not final', async t => {
  const seen = read(edited(o.kustomizationReady, s => { delete s.history }))
  t.match(seen, { outcome: 'none', state: /status.history does not say since when/, commit: o.commit })
  t.notOk('at' in seen)
  const otherRevision = read(edited(o.kustomizationReady, s => { s.history[0].metadata.revision = 'main@sha1:0000000000000000000000000000000000000000' }))
  t.match(otherRevision, { outcome: 'none' }, 'a history entry of another revision says nothing of this one')
})
