import t, { type Test } from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build, logCapture, outboxDrained } from '../helpers/app.js'
import { makeTriggered, ofType, pushTriggered, withKeptnFake, type KeptnFake } from '../helpers/keptn-fake.js'
import { fluxEvent, fluxRequest } from '../helpers/flux.js'
import { startKubernetesFake, type KubernetesFake } from '../helpers/kubernetes-fake.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'
import { waitFor } from '../helpers/wait.js'

// OBSERVE_INTERVAL (#18): a pending deployment is finished from its GitOps object's own status when
// no webhook comes. Statuses are shaped as the controllers' Go types marshal them: helm-controller
// api/v2 HelmReleaseStatus (history Snapshot: chartVersion, appVersion, lastDeployed, status),
// kustomize-controller api/v1 KustomizationStatus, Argo CD v1alpha1 ApplicationStatus.

const redisUrl = await testRedisUrl()
const token = 'service-account-token-0123456789'
const labels = { 'keptn.sh/project': 'podtato', 'keptn.sh/stage': 'dev', 'keptn.sh/service': 'helloservice' }
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')

function helmStatus (at: number, chartVersion: string, over: { ready?: string, reason?: string, stalled?: boolean, generation?: number } = {}) {
  const conditions = [
    { type: 'Ready', status: over.ready ?? 'True', reason: over.reason ?? 'UpgradeSucceeded', message: 'Helm upgrade succeeded', lastTransitionTime: iso(at), observedGeneration: 1 },
    { type: 'Released', status: over.ready ?? 'True', reason: over.reason ?? 'UpgradeSucceeded', message: 'Helm upgrade succeeded', lastTransitionTime: iso(at), observedGeneration: 1 },
    ...(over.stalled ? [{ type: 'Stalled', status: 'True', reason: 'RetriesExceeded', message: 'Failed to upgrade after 1 attempt(s)', lastTransitionTime: iso(at), observedGeneration: 1 }] : [])
  ]
  return {
    observedGeneration: over.generation ?? 1,
    conditions,
    history: [{ name: 'helloservice', namespace: 'podtato-dev', version: 3, status: over.ready === 'False' ? 'failed' : 'deployed', chartName: 'podtato-head', chartVersion, appVersion: chartVersion, configDigest: 'sha256:aa', digest: 'sha256:bb', firstDeployed: iso(at - 3_600_000), lastDeployed: iso(at) }],
    lastAttemptedRevision: chartVersion,
    lastAttemptedConfigDigest: 'sha256:aa',
    upgradeFailures: over.ready === 'False' ? 1 : 0
  }
}

// kustomize-controller api/v1: Ready moves on every reconcile; status.history says since when the
// revision is applied (fluxcd/pkg/apis/meta History).
function kustomizationStatus (commit: string, at: string) {
  const revision = `main@sha1:${commit}`
  return {
    observedGeneration: 1,
    lastAppliedRevision: revision,
    lastAttemptedRevision: revision,
    conditions: [{ type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: `Applied revision: ${revision}`, lastTransitionTime: at, observedGeneration: 1 }],
    history: [{ digest: 'sha256:5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b', firstReconciled: at, lastReconciled: at, lastReconciledDuration: '1.2s', lastReconciledStatus: 'ReconciliationSucceeded', totalReconciliations: 1, metadata: { revision } }]
  }
}

async function setup (t: Test, fake: KeptnFake, env: Record<string, string> = {}) {
  const kube = await startKubernetesFake({ token })
  t.teardown(() => kube.close())
  const dir = mkdtempSync(join(tmpdir(), 'kgb-observe-'))
  writeFileSync(join(dir, 'token'), token)
  const common = {
    REDIS_URL: redisUrl,
    KEY_PREFIX: uniquePrefix(),
    KEPTN_API_URL: fake.url,
    KEPTN_API_TOKEN: fake.token,
    KEPTN_POLL_INTERVAL: '0',
    KUBERNETES_API_URL: kube.url,
    KUBERNETES_TOKEN_FILE: join(dir, 'token'),
    OBSERVE_INTERVAL: '100ms',
    ...env
  }
  return { kube, common }
}

const finishedOf = (fake: KeptnFake) => ofType(fake, 'finished')

async function trigger (app: Awaited<ReturnType<typeof build>>, fake: KeptnFake, data: Record<string, unknown> = {}) {
  const ev = makeTriggered({ project: 'podtato', stage: 'dev', service: 'helloservice', ...data })
  const res = await app.inject(pushTriggered(fake, ev))
  if (res.statusCode !== 202) throw new Error(`triggered: ${res.statusCode} ${res.body}`)
  return ev
}

withKeptnFake(t, 'a HelmRelease that became Ready after the trigger finishes the deployment with no webhook; one Ready before it does not', async (t, fake) => {
  const { kube, common } = await setup(t, fake)
  const app = await build(t, common)
  const before = Date.now() - 60_000
  kube.setObject('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'podtato-dev', 'helloservice', labels, { spec: { chart: { spec: { chart: 'podtato-head' } } }, status: helmStatus(before, '0.3.1') })
  const ev = await trigger(app, fake)
  const listsBefore = kube.listCalls()
  // A round has looked (the status page says what it saw) and finished nothing.
  await waitFor('observation looked', async () => {
    const pending = (await app.inject('/api/v1/deployments')).json().pending as Array<{ observed: { objects: string[] } | null }>
    return pending[0]?.observed?.objects.some(line => /before the deployment was triggered/.test(line)) === true
  })
  t.ok(kube.listCalls() > listsBefore, 'it listed')
  t.same(finishedOf(fake), [], 'a Ready state older than the trigger finishes nothing')

  kube.setObject('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'podtato-dev', 'helloservice', labels, { status: helmStatus(Date.now() + 1000, '0.3.2') })
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  const [finished] = finishedOf(fake)
  t.match(finished, { triggeredid: ev.id, data: { status: 'succeeded', result: 'pass', message: /observed in the HelmRelease podtato-dev\/helloservice status/ } })

  // The webhook that comes late finds nothing pending: no second .finished.
  const late = await app.inject(fluxRequest(fluxEvent({ metadata: { revision: '0.3.2' } })))
  t.match(late.json(), { status: 'ignored' })
  await outboxDrained(app)
  t.equal(finishedOf(fake).length, 1)
})

withKeptnFake(t, 'a webhook first: observation never finishes it again, nor triggers a sequence (GitOps-first)', async (t, fake) => {
  const { kube, common } = await setup(t, fake, { TRIGGER_SEQUENCE: 'delivery' })
  const app = await build(t, common)
  const ev = await trigger(app, fake)
  // Another service stays pending, so observation keeps listing (with nothing pending it lists
  // nothing). Its Application runs another image than Keptn asked for: the observed result finds no
  // deployment it may finish (VERSION_MATCH=strict), and must not start a sequence either.
  await trigger(app, fake, { service: 'other', configurationChange: { values: { image: 'ghcr.io/podtato-head/podtato-server:v9.9.9' } } })
  const later = iso(Date.now() + 1000)
  kube.setObject('argoproj.io/v1alpha1', 'Application', 'argocd', 'other', { ...labels, 'keptn.sh/service': 'other' }, {
    spec: { destination: { namespace: 'podtato-dev' } },
    status: {
      sync: { status: 'Synced', revision: '3d2a1b0c9f8e7d6c5b4a39281706f5e4d3c2b1a0' },
      health: { status: 'Healthy', lastTransitionTime: later },
      operationState: { phase: 'Succeeded', startedAt: later, finishedAt: later, syncResult: { revision: '3d2a1b0c9f8e7d6c5b4a39281706f5e4d3c2b1a0' } },
      summary: { images: ['ghcr.io/podtato-head/podtato-server:v0.1.0'] }
    }
  })
  kube.setObject('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'podtato-dev', 'helloservice', labels, { status: helmStatus(Date.now() + 1000, '0.3.2') })
  const res = await app.inject(fluxRequest(fluxEvent({ metadata: { revision: '0.3.2' } })))
  t.match(res.json(), { status: 'accepted', triggeredId: ev.id })
  const rounds = kube.listCalls()
  await waitFor('two more observation rounds', async () => kube.listCalls() >= rounds + 6)
  await outboxDrained(app)
  t.equal(finishedOf(fake).length, 1, 'one .finished, from the webhook')
  t.equal(finishedOf(fake)[0]?.triggeredid, ev.id)
  t.match(finishedOf(fake)[0], { data: { message: /reported by a webhook/ } })
  t.same(fake.received.filter(e => /delivery\.triggered$/.test(e.type)), [], 'no GitOps-first sequence from an observation')
  const pending = (await app.inject('/api/v1/deployments')).json().pending as Array<{ service: string, observed: { objects: string[] } | null }>
  t.match(pending, [{ service: 'other', observed: { objects: [/Application argocd\/other: sync Synced, operation Succeeded, health Healthy/] } }], 'still pending, and the page says what was seen')
})

withKeptnFake(t, 'Stalled is a final failure; a failed upgrade with retries left is not', async (t, fake) => {
  const { kube, common } = await setup(t, fake)
  const app = await build(t, common)
  await trigger(app, fake)
  kube.setObject('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'podtato-dev', 'helloservice', labels, {
    spec: { upgrade: { remediation: { retries: 3 } } },
    status: helmStatus(Date.now() + 1000, '0.3.2', { ready: 'False', reason: 'UpgradeFailed' })
  })
  await waitFor('observation saw the failure', async () => {
    const pending = (await app.inject('/api/v1/deployments')).json().pending as Array<{ observed: { objects: string[] } | null }>
    return pending[0]?.observed?.objects.some(line => /Ready False \(UpgradeFailed\): not final/.test(line)) === true
  })
  t.same(finishedOf(fake), [], 'retries remain: nothing finished')
  kube.setObject('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'podtato-dev', 'helloservice', labels, {
    status: helmStatus(Date.now() + 2000, '0.3.2', { ready: 'False', reason: 'UpgradeFailed', stalled: true })
  })
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  t.match(finishedOf(fake)[0], { data: { status: 'errored', result: 'fail', message: /RetriesExceeded.*observed in the HelmRelease/ } })
})

withKeptnFake(t, 'a Kustomization and an Argo CD Application finish their services from status, by commit', async (t, fake) => {
  const { kube, common } = await setup(t, fake)
  const app = await build(t, common)
  const commit = '3d2a1b0c9f8e7d6c5b4a39281706f5e4d3c2b1a0'
  const evK = await trigger(app, fake, { service: 'kust', labels: { gitCommit: commit } })
  const evA = await trigger(app, fake, { service: 'argo' })
  const later = iso(Date.now() + 1000)
  kube.setObject('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'flux-system', 'kust', { ...labels, 'keptn.sh/service': 'kust' }, { status: kustomizationStatus(commit, later) })
  kube.setObject('argoproj.io/v1alpha1', 'Application', 'argocd', 'argo', { ...labels, 'keptn.sh/service': 'argo' }, {
    spec: { destination: { namespace: 'podtato-dev' } },
    status: {
      sync: { status: 'Synced', revision: commit },
      health: { status: 'Healthy', lastTransitionTime: later },
      operationState: { phase: 'Succeeded', startedAt: later, finishedAt: later, syncResult: { revision: commit }, operation: { sync: { revision: commit } } },
      summary: { images: [] }
    }
  })
  await fake.waitFor(f => ofType(f, 'finished').length === 2)
  const byId = new Map(finishedOf(fake).map(e => [e.triggeredid, e]))
  t.match(byId.get(evK.id), { data: { status: 'succeeded', message: /observed in the Kustomization flux-system\/kust status/ } })
  t.match(byId.get(evA.id), { data: { status: 'succeeded', message: /observed in the Application argocd\/argo status/ } })
})

withKeptnFake(t, 'two replicas observing the same object send one .finished; a round costs one LIST per kind, not one GET per deployment', async (t, fake) => {
  const { kube, common } = await setup(t, fake)
  const a = await build(t, common)
  const b = await build(t, common)
  for (let i = 0; i < 5; i++) await trigger(a, fake, { service: `svc-${i}` })
  const looked = async (app: typeof a) => ((await app.inject('/api/v1/deployments')).json().pending as Array<{ observed: unknown }>).every(p => p.observed !== null)
  await waitFor('both replicas looked', async () => await looked(a) && await looked(b))
  const gets = kube.requests.filter(path => /\/helmreleases\/[^/]+$/.test(path)).length
  t.equal(gets, 0, 'no GET of single objects: lists only')
  // Each replica's round: one list per kind (HelmRelease, Kustomization, Application), whatever the number pending.
  const perRound = kube.listCalls()
  await waitFor('another round on each', async () => kube.listCalls() >= perRound + 6)
  kube.setObject('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'podtato-dev', 'svc-3', { ...labels, 'keptn.sh/service': 'svc-3' }, { status: helmStatus(Date.now() + 1000, '0.3.2') })
  await fake.waitFor(f => ofType(f, 'finished').length >= 1)
  const rounds = kube.listCalls()
  await waitFor('both replicas looked again', async () => kube.listCalls() >= rounds + 6)
  await outboxDrained(a)
  t.equal(finishedOf(fake).length, 1, 'one .finished across two observing replicas')
})

t.test('OBSERVE_INTERVAL=0 turns observation off: the status page says so and nothing is listed', async t => {
  const kube: KubernetesFake = await startKubernetesFake({ token })
  t.teardown(() => kube.close())
  const app = await build(t, { KUBERNETES_API_URL: kube.url, OBSERVE_INTERVAL: '0' })
  const ev = makeTriggered({ project: 'podtato', stage: 'dev', service: 'helloservice' })
  t.equal((await app.inject({ method: 'POST', url: '/events/keptn', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(ev) })).statusCode, 202)
  const [pending] = (await app.inject('/api/v1/deployments')).json().pending as Array<Record<string, unknown>>
  t.equal(pending?.triggeredId, ev.id)
  t.notOk('observed' in pending!, 'no observed field when off')
  const page = (await app.inject('/')).body
  t.match(page, /<th>Observed<\/th>/)
  t.match(page, /<span class="dim">off<\/span>/)
  t.equal(kube.listCalls(), 0)
})

withKeptnFake(t, 'OBSERVE_NAMESPACES lists only there; a kind the RBAC forbids is warned about once and the others are still observed', async (t, fake) => {
  const logs = logCapture()
  const { kube, common } = await setup(t, fake, { OBSERVE_NAMESPACES: 'podtato-dev,flux-system', LOG_LEVEL: 'warn' })
  kube.forbid('/apis/helm.toolkit.fluxcd.io/v2/namespaces/podtato-dev/helmreleases')
  const app = await build(t, common, { logDestination: logs.stream })
  const commit = '3d2a1b0c9f8e7d6c5b4a39281706f5e4d3c2b1a0'
  const ev = await trigger(app, fake, { labels: { gitCommit: commit } })
  kube.setObject('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'podtato-dev', 'helloservice', labels, { status: helmStatus(Date.now() + 1000, '0.3.2') })
  kube.setObject('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'elsewhere', 'helloservice', labels, { status: kustomizationStatus(commit, iso(Date.now() + 1000)) })
  const rounds = kube.listCalls()
  await waitFor('three rounds', () => kube.listCalls() >= rounds + 3 * 6)
  t.same(finishedOf(fake), [], 'the forbidden HelmRelease and the Kustomization outside OBSERVE_NAMESPACES finish nothing')
  t.notOk(kube.requests.some(path => /\/apis\/[^/]+\/[^/]+\/(helmreleases|kustomizations|applications)$/.test(path)), 'no cluster-wide list')
  t.equal(logs.parsed().filter(l => /cannot list HelmRelease objects/.test(String(l.msg))).length, 1, 'warned once')

  kube.setObject('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'flux-system', 'helloservice', labels, { status: kustomizationStatus(commit, iso(Date.now() + 1000)) })
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  t.match(finishedOf(fake)[0], { triggeredid: ev.id, data: { message: /observed in the Kustomization flux-system\/helloservice status/ } })
})

withKeptnFake(t, 'with a MAPPING_FILE, an unlabelled HelmRelease a rule maps is observed too', async (t, fake) => {
  const dir = mkdtempSync(join(tmpdir(), 'kgb-observe-map-'))
  writeFileSync(join(dir, 'mapping.yaml'), 'rules:\n  - match: { kind: HelmRelease, namespace: "{project}-{stage}", name: "{service}" }\n')
  const { kube, common } = await setup(t, fake, { MAPPING_FILE: join(dir, 'mapping.yaml') })
  const app = await build(t, common)
  const ev = await trigger(app, fake)
  kube.setObject('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'podtato-dev', 'helloservice', undefined, { status: helmStatus(Date.now() + 1000, '0.3.2') })
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  t.match(finishedOf(fake)[0], { triggeredid: ev.id, data: { status: 'succeeded', message: /observed in the HelmRelease podtato-dev\/helloservice status/ } })
})

withKeptnFake(t, 'a rollout a webhook reported for one deployment is not taken by observation for another expecting something else', async (t, fake) => {
  const { kube, common } = await setup(t, fake)
  const app = await build(t, common)
  const image = (tag: string) => ({ configurationChange: { values: { image: `ghcr.io/podtato-head/podtato-server:v${tag}` } } })
  const older = await trigger(app, fake, image('0.3.1'))
  const newer = await trigger(app, fake, image('0.3.2'))
  kube.setObject('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'podtato-dev', 'helloservice', labels, { status: helmStatus(Date.now() + 1000, '0.3.2') })
  const res = await app.inject(fluxRequest(fluxEvent({ metadata: { revision: '0.3.2', 'app-version': '0.3.2', 'keptn-project': 'podtato', 'keptn-stage': 'dev', 'keptn-service': 'helloservice' } })))
  t.match(res.json(), { status: 'accepted', triggeredId: newer.id }, 'the webhook finishes the deployment of 0.3.2')
  const rounds = kube.listCalls()
  await waitFor('two observation rounds', () => kube.listCalls() >= rounds + 6)
  await outboxDrained(app)
  t.same(finishedOf(fake).map(e => e.triggeredid), [newer.id], 'the 0.3.1 deployment is not finished by the same rollout')
  const [pending] = (await app.inject('/api/v1/deployments')).json().pending as Array<{ triggeredId: string, observed: { objects: string[] } | null }>
  t.equal(pending?.triggeredId, older.id, 'still pending: a webhook for 0.3.1, or the deadline, decides it')
  t.match(pending?.observed?.objects, [/HelmRelease podtato-dev\/helloservice: Ready: chart 0\.3\.2.*\(names no version or commit a pending deployment expects\)/], 'the page says why it was not taken')

  kube.setObject('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'podtato-dev', 'helloservice', labels, { status: helmStatus(Date.now() + 2000, '0.3.1') })
  await fake.waitFor(f => ofType(f, 'finished').length === 2)
  t.match(finishedOf(fake)[1], { triggeredid: older.id, data: { status: 'succeeded', message: /observed in the HelmRelease/ } }, 'a state naming 0.3.1 does')
})
