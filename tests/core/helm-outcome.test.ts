import t from 'tap'
import { settleHelmOutcome, type HelmReleaseState } from '../../app/core/helm-outcome.js'
import type { Outcome } from '../../app/core/types.js'

// HelmRelease spec/status shaped as helm-controller api/v2 marshals them (HelmReleaseSpec.Upgrade
// .Remediation.Retries, .Strategy.Name, HelmReleaseStatus.UpgradeFailures, Stalled condition).
const release = (upgrade: object, status: object = {}, extra: object = {}): HelmReleaseState =>
  ({ spec: { upgrade, ...extra }, status: { lastAttemptedReleaseAction: 'upgrade', ...status } })
const settle = (outcome: Outcome, reason: string, hr?: HelmReleaseState) => settleHelmOutcome({ outcome, reason }, hr)

t.test('without the object the event\'s own outcome stands', async t => {
  t.same(settle('failure', 'UpgradeFailed'), { outcome: 'failure' })
  t.same(settle('success', 'UpgradeSucceeded'), { outcome: 'success' })
})

t.test('no retries (the default): the first failure is final, whatever status says yet', async t => {
  t.same(settle('failure', 'UpgradeFailed', release({}, { upgradeFailures: 0 })), { outcome: 'failure' })
  t.same(settle('failure', 'InstallFailed', { spec: {}, status: {} }), { outcome: 'failure' })
})

t.test('retries left: a failure, and its rollback, are not final; the last one is', async t => {
  const retries2 = { remediation: { retries: 2 } }
  t.match(settle('failure', 'UpgradeFailed', release(retries2, { upgradeFailures: 1 })), { outcome: 'none', why: /failure 1 of 3/ })
  t.match(settle('failure', 'RollbackSucceeded', release(retries2, { upgradeFailures: 2 })), { outcome: 'none' })
  t.same(settle('failure', 'UpgradeFailed', release(retries2, { upgradeFailures: 3 })), { outcome: 'failure' })
  t.same(settle('failure', 'RollbackSucceeded', release(retries2, { upgradeFailures: 3 })), { outcome: 'failure' }, 'the rollback after the last failure')
  t.match(settle('failure', 'UpgradeFailed', release(retries2, { upgradeFailures: 1, conditions: [{ type: 'Stalled', status: 'True', reason: 'RetriesExceeded', message: 'Failed to upgrade after 3 attempt(s)' }] })),
    { outcome: 'failure', why: /RetriesExceeded/ }, 'Stalled is final')
})

t.test('RetryOnFailure and unlimited retries never end in a failure event', async t => {
  t.match(settle('failure', 'UpgradeFailed', release({ strategy: { name: 'RetryOnFailure' } }, { upgradeFailures: 9 })), { outcome: 'none', why: /RetryOnFailure/ })
  t.match(settle('failure', 'UpgradeFailed', release({ remediation: { retries: -1 } }, { upgradeFailures: 9 })), { outcome: 'none', why: /unlimited/ })
})

t.test('install failures count against install.remediation', async t => {
  const hr: HelmReleaseState = { spec: { install: { remediation: { retries: 1 } } }, status: { lastAttemptedReleaseAction: 'install', installFailures: 1 } }
  t.match(settle('failure', 'InstallFailed', hr), { outcome: 'none' })
  t.same(settle('failure', 'InstallFailed', { ...hr, status: { lastAttemptedReleaseAction: 'install', installFailures: 2 } }), { outcome: 'failure' })
})

t.test('with tests enabled the tests decide: upgrade success waits, TestSucceeded passes, an ignored TestFailed passes', async t => {
  const tests = release({}, {}, { test: { enable: true } })
  t.match(settle('success', 'UpgradeSucceeded', tests), { outcome: 'none', why: /spec\.test\.enable/ })
  t.same(settle('success', 'TestSucceeded', tests), { outcome: 'success' })
  t.same(settle('failure', 'TestFailed', tests), { outcome: 'failure' })
  t.match(settle('failure', 'TestFailed', release({}, {}, { test: { enable: true, ignoreFailures: true } })), { outcome: 'success', why: /ignored/ })
  t.same(settle('success', 'UpgradeSucceeded', release({})), { outcome: 'success' }, 'without tests an upgrade success is final')
})
