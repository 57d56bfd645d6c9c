import t from 'tap'
import { readFileSync } from 'node:fs'
import { fromArgoNotification } from '../../../app/core/sources/argocd.js'
import { ArgoNotification } from '../../../schemas/argocd-notification.js'
import { compileValidator } from '../../../schemas/validator.js'

const valid = compileValidator(ArgoNotification)
const load = (name: string): ArgoNotification => {
  const checked = valid(JSON.parse(readFileSync(new URL(`../../fixtures/argocd/${name}.json`, import.meta.url), 'utf8')))
  if (!checked.ok) throw new Error(`${name}: ${checked.reason}`)
  return checked.value
}
const newSha = '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8'
/** The service's clock in these tests: far from the real one, so a Date.now() would show. */
const now = Date.UTC(2031, 4, 6, 7, 8, 9)

t.test('a finished sync that is Synced and Healthy succeeds, with commit, image version and labels', async t => {
  const result = fromArgoNotification(load('app-synced-healthy'), now)
  t.match(result, {
    source: 'argocd',
    object: { kind: 'Application', namespace: 'podtato-dev', name: 'helloservice-dev', uid: '8f21c9d2-8282-4c16-bd9c-354f8a42c352', apiVersion: 'argoproj.io/v1alpha1' },
    outcome: 'success',
    reason: 'SyncSucceeded',
    message: 'successfully synced (all tasks run)',
    revision: newSha,
    commit: newSha,
    labels: { 'keptn.sh/project': 'podtato', 'keptn.sh/stage': 'dev', 'keptn.sh/service': 'helloservice' }
  })
  t.same(result.versions, ['0.3.2'], 'the image tag v0.3.2, normalised; never the sha')
  t.match(result.metadata, { 'notifications.argoproj.io/subscribe.on-deployed.keptn': '' }, 'annotations become metadata')
  t.equal(result.occurredAt, Date.parse('2026-11-20T10:01:30Z'), 'when Argo CD last saw it, later than finishedAt')
})

t.test('a Degraded application fails and says which resource is degraded', async t => {
  const result = fromArgoNotification(load('app-degraded'), now)
  t.equal(result.outcome, 'failure')
  t.equal(result.reason, 'HealthDegraded')
  t.match(result.message, /Degraded.*Deployment podtato-dev\/helloservice: Deployment "helloservice" exceeded its progress deadline/)
})

t.test('a running sync is not an outcome, even while the old pods are Degraded', async t => {
  const running = load('app-running')
  const result = fromArgoNotification(running, now)
  t.match(result, { outcome: 'none', reason: 'SyncRunning', revision: newSha })
  running.app.status!.health = { status: 'Degraded' }
  t.equal(fromArgoNotification(running, now).outcome, 'none')
})

t.test('a failed sync fails with its message', async t => {
  const result = fromArgoNotification(load('app-sync-failed'), now)
  t.equal(result.outcome, 'failure')
  t.equal(result.reason, 'SyncFailed')
  t.match(result.message, /one or more objects failed to apply/)
  t.equal(result.commit, '58e6b3a414a1e090dfc6029add0f3555ccba127f')
})

t.test('other states are not outcomes', async t => {
  const base = load('app-synced-healthy')
  const state = (health: string, sync = 'Synced', phase: string | null = 'Succeeded') => {
    const n = structuredClone(base)
    n.app.status!.health = { status: health }
    n.app.status!.sync!.status = sync
    if (phase) n.app.status!.operationState!.phase = phase
    else delete n.app.status!.operationState
    return fromArgoNotification(n, now)
  }
  t.match(state('Progressing'), { outcome: 'none', reason: 'Progressing' })
  t.match(state('Healthy', 'OutOfSync'), { outcome: 'none', reason: 'OutOfSync' })
  t.match(state('Missing'), { outcome: 'none', reason: 'HealthMissing' })
  t.match(state('Healthy', 'Synced', null), { outcome: 'none', reason: 'NoSyncOperation' })
  t.match(state('Healthy', 'Synced', 'Error'), { outcome: 'failure', reason: 'SyncError' })
})

t.test('the same state notified twice is one delivery; a new sync is another', async t => {
  const first = fromArgoNotification(load('app-synced-healthy'), now)
  const again = load('app-synced-healthy')
  again.app.status!.reconciledAt = '2026-11-20T10:04:30Z'
  again.trigger = 'on-sync-succeeded'
  t.equal(fromArgoNotification(again, now).deliveryId, first.deliveryId)

  const next = load('app-synced-healthy')
  const op = next.app.status!.operationState!
  op.syncResult!.revision = 'c3f1a5d0e2b4968778a1c2d3e4f5061728394a5b'
  op.finishedAt = '2026-11-20T11:00:04Z'
  t.not(fromArgoNotification(next, now).deliveryId, first.deliveryId)

  const degraded = fromArgoNotification(load('app-degraded'), now)
  t.not(degraded.deliveryId, first.deliveryId, 'the same sync turning Degraded is news')
})

t.test('an app without destination namespace, labels or annotations still translates', async t => {
  const result = fromArgoNotification({ app: { metadata: { name: 'guestbook', namespace: 'argocd' }, status: { health: { status: 'Healthy' } } } }, now)
  t.same(result.object, { kind: 'Application', namespace: 'argocd', name: 'guestbook' })
  t.same(result.metadata, {})
  t.same(result.labels, {})
  t.same(result.versions, [])
  t.equal(result.outcome, 'none')
  t.equal(result.occurredAt, now, 'no sync or reconcile time: the service\'s clock says when, never the machine\'s')
})

t.test('a multi-source app finds the git commit among its revisions; its chart version is no image evidence', async t => {
  const n = load('app-synced-healthy')
  n.app.status!.operationState!.syncResult = { revisions: ['1.4.0', newSha] }
  n.app.status!.summary = { images: ['ghcr.io/podtato-head/podtato-server:v0.3.2', 'ghcr.io/podtato-head/podtato-server:v0.3.2@sha256:7e887edb52b723997076a9f5a72bef4473227a303cbc2cf5118e7be261f41c13', 'docker.io/library/redis:latest'] }
  const result = fromArgoNotification(n, now)
  t.equal(result.revision, '1.4.0')
  t.equal(result.commit, newSha)
  t.same(result.versions, ['0.3.2'])
})
