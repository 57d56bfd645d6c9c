import type { KubeObject } from '../../../app/core/observe/read-status.js'

// GitOps objects as the API server returns them, shaped field by field from the controllers' Go
// types (JSON names from the struct tags, metav1.Time as RFC 3339 in seconds, UTC):
//   helm-controller api/v2 HelmRelease, HelmReleaseStatus, Snapshot (api v1.6.4 / v1.7.1; v2beta1
//     for the old shape), kustomize-controller api/v1 Kustomization, KustomizationStatus (with
//     fluxcd/pkg/apis/meta History), metav1.Condition, Argo CD v3 v1alpha1 Application.
// tests/core/observe/read-status.test.ts reads their status; tests/peers/observe.test.ts decodes
// every one strictly into those Go types with tests/peers/.bin/kube-decode (v2beta1 excepted: Flux
// 2.9 no longer serves it, so kube-decode has no type for it).

/** A commit of the demo repository (40 hex). */
export const commit = '3b8f1d2c4e5a6978b0c1d2e3f4a5b6c7d8e9f0a1'
/** A commit the source has fetched but the Kustomization has not applied yet. */
export const nextCommit = '9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d'
/** The OCI chart artifact's digest: helm-controller appends its first 12 hex to the chart version. */
export const chartDigest = 'sha256:abcdef1234567890abcdef1234567890abcdef1234567890abcdef1234567890'
/** The OCI manifests artifact a Kustomization applies (OCIRepository revision `<tag>@sha256:<hex>`). */
export const manifestsDigest = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

const configDigest = 'sha256:4f1c3e0d8b2a79653e1f0d2c4b6a8e9f7d5c3b1a0e2f4d6c8b9a7e5f3d1c0b2a'
const releaseDigest = 'sha256:8d7c6b5a4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b'

const labels = { 'keptn.sh/project': 'podtato', 'keptn.sh/stage': 'dev', 'keptn.sh/service': 'helloservice' }
const clone = <T>(value: T): T => structuredClone(value)
type Status = Record<string, any>
const statusOf = (object: KubeObject): Status => object.status as Status

const condition = (type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, lastTransitionTime: string, observedGeneration = 3) =>
  ({ type, status, observedGeneration, lastTransitionTime, reason, message })

// ---------------------------------------------------------------------------------------------
// HelmRelease, helm.toolkit.fluxcd.io/v2

/** The chart built from a GitRepository with reconcileStrategy Revision: `<version>+<12 hex>`. */
export const chartVersion = '0.1.0+abcdef123456'
const releasedMessage = `Helm upgrade succeeded for release podtato-dev/helloservice.v4 with chart helloservice@${chartVersion}`

export const helmReleaseDeployed: KubeObject = {
  apiVersion: 'helm.toolkit.fluxcd.io/v2',
  kind: 'HelmRelease',
  metadata: {
    name: 'helloservice',
    namespace: 'podtato-dev',
    uid: '5d0c1f3e-9a0b-4c2d-8e7f-6a5b4c3d2e1f',
    generation: 3,
    labels,
    annotations: { 'reconcile.fluxcd.io/requestedAt': '2026-05-04T10:00:05Z' }
  },
  spec: {
    interval: '5m',
    releaseName: 'helloservice',
    chart: {
      spec: {
        chart: './charts/helloservice',
        sourceRef: { kind: 'GitRepository', name: 'podtato' },
        reconcileStrategy: 'Revision',
        interval: '1m'
      }
    },
    upgrade: { remediation: { retries: 2 } },
    values: { image: { repository: 'ghcr.io/podtato-head/podtato-server', tag: 'v0.3.2' } }
  },
  status: {
    observedGeneration: 3,
    lastHandledReconcileAt: '2026-05-04T10:00:05Z',
    conditions: [
      condition('Ready', 'True', 'UpgradeSucceeded', releasedMessage, '2026-05-04T10:02:30Z'),
      condition('Released', 'True', 'UpgradeSucceeded', releasedMessage, '2026-05-04T10:02:30Z')
    ],
    helmChart: 'podtato-dev/podtato-dev-helloservice',
    storageNamespace: 'podtato-dev',
    history: [
      {
        apiVersion: 'v2',
        digest: releaseDigest,
        name: 'helloservice',
        namespace: 'podtato-dev',
        version: 4,
        status: 'deployed',
        action: 'upgrade',
        chartName: 'helloservice',
        chartVersion,
        appVersion: '0.3.2',
        configDigest,
        firstDeployed: '2026-04-20T08:00:00Z',
        lastDeployed: '2026-05-04T10:02:05Z'
      },
      {
        apiVersion: 'v2',
        digest: 'sha256:1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b',
        name: 'helloservice',
        namespace: 'podtato-dev',
        version: 3,
        status: 'superseded',
        action: 'upgrade',
        chartName: 'helloservice',
        chartVersion: '0.1.0+0123456789ab',
        appVersion: '0.3.1',
        configDigest: 'sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
        firstDeployed: '2026-04-20T08:00:00Z',
        lastDeployed: '2026-04-28T16:30:00Z'
      }
    ],
    lastAttemptedReleaseAction: 'upgrade',
    lastAttemptedReleaseActionDuration: '25s',
    lastAttemptedGeneration: 3,
    lastAttemptedRevision: chartVersion,
    lastAttemptedConfigDigest: configDigest
  }
}

/** The same release from an OCIRepository (spec.chartRef): the `+<12 hex>` are the digest's. */
export const helmReleaseOci: KubeObject = (() => {
  const o = clone(helmReleaseDeployed)
  o.metadata!.name = 'helloservice-oci'
  delete o.spec!.chart
  o.spec!.chartRef = { kind: 'OCIRepository', name: 'helloservice-chart' }
  const s = statusOf(o)
  s.helmChart = 'OCIRepository/podtato-dev/helloservice-chart'
  s.history[0].name = s.history[1].name = 'helloservice-oci'
  s.history[0].ociDigest = chartDigest
  s.lastAttemptedRevisionDigest = chartDigest
  return o
})()

/** The spec changed (generation 4) and helm-controller has not reconciled it yet. */
export const helmReleaseBehind: KubeObject = (() => {
  const o = clone(helmReleaseDeployed)
  o.metadata!.generation = 4
  o.spec!.values = { image: { repository: 'ghcr.io/podtato-head/podtato-server', tag: 'v0.3.3' } }
  return o
})()

/** An upgrade failed, retries are left (spec.upgrade.remediation.retries 2, upgradeFailures 1). */
export const helmReleaseUpgradeFailed: KubeObject = (() => {
  const o = clone(helmReleaseDeployed)
  const s = statusOf(o)
  const failed = 'Helm upgrade failed for release podtato-dev/helloservice with chart helloservice@0.1.1+fedcba987654: context deadline exceeded'
  s.conditions = [
    condition('Ready', 'False', 'UpgradeFailed', failed, '2026-05-04T10:07:40Z'),
    condition('Released', 'False', 'UpgradeFailed', failed, '2026-05-04T10:07:40Z'),
    condition('Reconciling', 'True', 'ProgressingWithRetry', failed, '2026-05-04T10:02:35Z')
  ]
  s.history.unshift({
    ...clone(s.history[0]),
    digest: 'sha256:2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c',
    configDigest: 'sha256:6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d',
    version: 5,
    status: 'failed',
    chartVersion: '0.1.1+fedcba987654',
    appVersion: '0.3.3',
    firstDeployed: '2026-04-20T08:00:00Z',
    lastDeployed: '2026-05-04T10:02:40Z'
  })
  s.history.splice(2)
  s.failures = 1
  s.upgradeFailures = 1
  s.lastAttemptedRevision = '0.1.1+fedcba987654'
  return o
})()

/**
 * Remediation retries exhausted: helm-controller rolled the last failure back (a new release v6 of
 * the previous chart, prepended to history by observeRollback) and marked Stalled (RetriesExceeded).
 */
export const helmReleaseStalled: KubeObject = (() => {
  const o = clone(helmReleaseUpgradeFailed)
  const s = statusOf(o)
  const failed = s.conditions[0].message
  const rolledBack = `Helm rollback to previous release podtato-dev/helloservice.v4 with chart helloservice@${chartVersion} succeeded`
  s.conditions = [
    condition('Ready', 'False', 'RollbackSucceeded', rolledBack, '2026-05-04T10:17:50Z'),
    condition('Released', 'False', 'UpgradeFailed', failed, '2026-05-04T10:07:40Z'),
    condition('Remediated', 'True', 'RollbackSucceeded', rolledBack, '2026-05-04T10:17:50Z'),
    condition('Stalled', 'True', 'RetriesExceeded', 'Failed to upgrade after 3 attempt(s)', '2026-05-04T10:18:00Z')
  ]
  s.history[1].status = 'superseded'
  s.history.unshift({
    ...clone(s.history[1]),
    digest: 'sha256:3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d',
    version: 6,
    status: 'deployed',
    action: 'rollback',
    lastDeployed: '2026-05-04T10:17:45Z'
  })
  // Snapshots.Truncate keeps the history up to the previous deployed or superseded release (v4).
  s.history.splice(3)
  s.failures = 3
  s.upgradeFailures = 3
  s.lastAttemptedReleaseAction = 'upgrade'
  return o
})()

const tested = (o: KubeObject) => {
  o.spec!.test = { enable: true, timeout: '2m' }
  statusOf(o).history[0].testHooks = {
    'helloservice-test-connection': { lastStarted: '2026-05-04T10:02:32Z', lastCompleted: '2026-05-04T10:03:40Z', phase: 'Succeeded' }
  }
  return o
}

/** spec.test.enable, but no TestSuccess condition yet. */
export const helmReleaseTestsPending: KubeObject = (() => {
  const o = tested(clone(helmReleaseDeployed))
  delete statusOf(o).history[0].testHooks
  return o
})()

/** The Helm tests passed: summarize() makes TestSuccess the Ready reason. */
export const helmReleaseTestsPassed: KubeObject = (() => {
  const o = tested(clone(helmReleaseDeployed))
  const passed = `Helm test succeeded for release podtato-dev/helloservice.v4 with chart helloservice@${chartVersion}: 1 test hook completed successfully`
  statusOf(o).conditions = [
    condition('Ready', 'True', 'TestSucceeded', passed, '2026-05-04T10:03:40Z'),
    condition('Released', 'True', 'UpgradeSucceeded', releasedMessage, '2026-05-04T10:02:30Z'),
    condition('TestSuccess', 'True', 'TestSucceeded', passed, '2026-05-04T10:03:41Z')
  ]
  return o
})()

/**
 * Tests enabled with ignoreFailures: they failed, and summarize() leaves TestSuccess out of Ready,
 * which is True from Released.
 */
export const helmReleaseTestsFailedIgnored: KubeObject = (() => {
  const o = tested(clone(helmReleaseDeployed))
  o.spec!.test = { enable: true, ignoreFailures: true }
  const s = statusOf(o)
  s.history[0].testHooks['helloservice-test-connection'].phase = 'Failed'
  const failed = `Helm test failed for release podtato-dev/helloservice.v4 with chart helloservice@${chartVersion}: pod helloservice-test-connection failed`
  s.conditions = [
    condition('Ready', 'True', 'UpgradeSucceeded', releasedMessage, '2026-05-04T10:02:30Z'),
    condition('Released', 'True', 'UpgradeSucceeded', releasedMessage, '2026-05-04T10:02:30Z'),
    condition('TestSuccess', 'False', 'TestFailed', failed, '2026-05-04T10:03:41Z')
  ]
  return o
})()

/** Ready True while the latest snapshot says the release failed (not written together by the controller). */
export const helmReleaseLastFailed: KubeObject = (() => {
  const o = clone(helmReleaseDeployed)
  statusOf(o).history[0].status = 'failed'
  return o
})()

/** The helm.toolkit.fluxcd.io/v2beta1 shape: no history, the chart version in lastAppliedRevision. */
export const helmReleaseV2beta1: KubeObject = {
  apiVersion: 'helm.toolkit.fluxcd.io/v2beta1',
  kind: 'HelmRelease',
  metadata: { name: 'helloservice-legacy', namespace: 'podtato-dev', uid: '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e', generation: 2, labels },
  spec: {
    interval: '5m',
    chart: { spec: { chart: 'helloservice', version: '6.5.x', sourceRef: { kind: 'HelmRepository', name: 'podtato' } } },
    values: { image: { tag: 'v0.3.2' } }
  },
  status: {
    observedGeneration: 2,
    conditions: [
      condition('Ready', 'True', 'ReconciliationSucceeded', 'Release reconciliation succeeded', '2026-05-04T10:01:10Z', 2),
      condition('Released', 'True', 'UpgradeSucceeded', 'Helm upgrade succeeded', '2026-05-04T10:01:10Z', 2)
    ],
    helmChart: 'podtato-dev/podtato-dev-helloservice-legacy',
    lastAppliedRevision: '6.5.0',
    lastAttemptedRevision: '6.5.0',
    lastAttemptedValuesChecksum: 'c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4',
    lastReleaseRevision: 7
  }
}

// ---------------------------------------------------------------------------------------------
// Kustomization, kustomize.toolkit.fluxcd.io/v1

const gitRevision = `main@sha1:${commit}`
const applied = `Applied revision: ${gitRevision}`

export const kustomizationReady: KubeObject = {
  apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
  kind: 'Kustomization',
  metadata: { name: 'podtato-dev', namespace: 'flux-system', uid: '7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918', generation: 3, labels },
  spec: {
    interval: '10m',
    retryInterval: '1m',
    path: './apps/dev',
    prune: true,
    wait: true,
    timeout: '5m',
    targetNamespace: 'podtato-dev',
    sourceRef: { kind: 'GitRepository', name: 'podtato' }
  },
  status: {
    observedGeneration: 3,
    conditions: [
      condition('Ready', 'True', 'ReconciliationSucceeded', applied, '2026-05-04T10:03:15Z'),
      condition('Healthy', 'True', 'Succeeded', 'Health check passed in 5.021s', '2026-04-28T16:31:00Z')
    ],
    lastAppliedRevision: gitRevision,
    lastAttemptedRevision: gitRevision,
    inventory: {
      entries: [
        { id: 'podtato-dev_helloservice__Service', v: 'v1' },
        { id: 'podtato-dev_helloservice_apps_Deployment', v: 'v1' }
      ]
    },
    history: [
      {
        digest: 'sha256:5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b',
        firstReconciled: '2026-05-04T10:03:10Z',
        lastReconciled: '2026-05-04T10:03:15Z',
        lastReconciledDuration: '5.2s',
        lastReconciledStatus: 'ReconciliationSucceeded',
        totalReconciliations: 1,
        metadata: { revision: gitRevision }
      }
    ]
  }
}

/**
 * The next periodic reconciliation (spec.interval) of the same revision: the controller marks Ready
 * Unknown then True again (kustomization_controller.go reconcile), so Ready.lastTransitionTime
 * moves; history[0] (same digest) keeps firstReconciled.
 */
export const kustomizationReconciledAgain: KubeObject = (() => {
  const o = clone(kustomizationReady)
  const s = statusOf(o)
  s.conditions[0].lastTransitionTime = '2026-05-04T10:13:20Z'
  Object.assign(s.history[0], { lastReconciled: '2026-05-04T10:13:20Z', lastReconciledDuration: '4.8s', totalReconciliations: 2 })
  return o
})()

/** Ready True with lastAttemptedRevision ahead of lastAppliedRevision. */
export const kustomizationAttempting: KubeObject = (() => {
  const o = clone(kustomizationReady)
  statusOf(o).lastAttemptedRevision = `main@sha1:${nextCommit}`
  return o
})()

/** A reconciliation running: Ready Unknown (Progressing), Reconciling True. */
export const kustomizationProgressing: KubeObject = (() => {
  const o = clone(kustomizationReady)
  const s = statusOf(o)
  s.conditions = [
    condition('Ready', 'Unknown', 'Progressing', 'Reconciliation in progress', '2026-05-04T10:13:15Z'),
    condition('Reconciling', 'True', 'Progressing', `Fetching manifests for revision main@sha1:${nextCommit} with a timeout of 5m0s`, '2026-05-04T10:13:15Z'),
    s.conditions[1]
  ]
  return o
})()

/** A terminal error: Stalled True (here a cross-namespace sourceRef the controller refuses). */
export const kustomizationStalled: KubeObject = (() => {
  const o = clone(kustomizationReady)
  o.metadata!.generation = 4
  o.spec!.sourceRef = { kind: 'GitRepository', name: 'podtato', namespace: 'other' }
  const denied = 'cross-namespace references are not allowed: can\'t access \'GitRepository/other/podtato\''
  const s = statusOf(o)
  s.conditions = [
    condition('Ready', 'False', 'AccessDenied', denied, '2026-05-04T10:05:00Z', 4),
    condition('Stalled', 'True', 'AccessDenied', denied, '2026-05-04T10:05:00Z', 4),
    s.conditions[1]
  ]
  return o
})()

/** Manifests from an OCIRepository: the revision is `<tag>@sha256:<digest>`. */
export const kustomizationOci: KubeObject = (() => {
  const o = clone(kustomizationReady)
  o.metadata!.name = 'podtato-dev-oci'
  o.spec!.sourceRef = { kind: 'OCIRepository', name: 'podtato-manifests' }
  o.spec!.path = './'
  const revision = `v1.2.3@${manifestsDigest}`
  const s = statusOf(o)
  s.conditions[0].message = `Applied revision: ${revision}`
  s.lastAppliedRevision = s.lastAttemptedRevision = revision
  s.lastAppliedOriginRevision = `main@sha1:${commit}`
  s.history[0].metadata = { revision, originRevision: `main@sha1:${commit}` }
  return o
})()

// ---------------------------------------------------------------------------------------------
// Application, argoproj.io/v1alpha1 (Argo CD 3)

const source = { repoURL: 'https://github.com/example/podtato-gitops.git', path: 'apps/dev', targetRevision: 'main' }
const destination = { server: 'https://kubernetes.default.svc', namespace: 'podtato-dev' }

export const applicationSynced: KubeObject = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: {
    name: 'helloservice-dev',
    namespace: 'argocd',
    uid: '8f21c9d2-8282-4c16-bd9c-354f8a42c352',
    generation: 57,
    labels,
    annotations: { 'notifications.argoproj.io/subscribe.on-deployed.keptn': '' }
  },
  spec: {
    project: 'default',
    source,
    destination,
    syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] }
  },
  status: {
    resources: [
      { version: 'v1', kind: 'Service', namespace: 'podtato-dev', name: 'helloservice', status: 'Synced', health: { status: 'Healthy' } },
      { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'podtato-dev', name: 'helloservice', status: 'Synced', health: { status: 'Healthy' } }
    ],
    sync: { status: 'Synced', comparedTo: { source, destination }, revision: commit },
    health: { status: 'Healthy', lastTransitionTime: '2026-05-04T10:04:00Z' },
    history: [
      { revision: commit, deployedAt: '2026-05-04T10:03:00Z', id: 12, source, deployStartedAt: '2026-05-04T10:02:55Z', initiatedBy: { automated: true } }
    ],
    reconciledAt: '2026-05-04T10:04:10Z',
    operationState: {
      operation: { sync: { revision: commit, prune: true, syncOptions: ['CreateNamespace=true'] }, initiatedBy: { automated: true }, retry: { limit: 5 } },
      phase: 'Succeeded',
      message: 'successfully synced (all tasks run)',
      syncResult: {
        resources: [
          { group: '', version: 'v1', kind: 'Service', namespace: 'podtato-dev', name: 'helloservice', status: 'Synced', message: 'service/helloservice unchanged', hookPhase: 'Running', syncPhase: 'Sync' },
          { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'podtato-dev', name: 'helloservice', status: 'Synced', message: 'deployment.apps/helloservice configured', hookPhase: 'Running', syncPhase: 'Sync', images: ['ghcr.io/podtato-head/podtato-server:v0.3.2'] }
        ],
        revision: commit,
        source
      },
      startedAt: '2026-05-04T10:02:55Z',
      finishedAt: '2026-05-04T10:03:00Z'
    },
    sourceType: 'Directory',
    summary: { images: ['ghcr.io/podtato-head/podtato-server:v0.3.2'] },
    controllerNamespace: 'argocd'
  }
}

/** The sync operation failed: Argo CD keeps the old pods (still Healthy) and the app OutOfSync. */
export const applicationSyncFailed: KubeObject = (() => {
  const o = clone(applicationSynced)
  const s = statusOf(o)
  s.sync = { status: 'OutOfSync', comparedTo: { source, destination }, revision: nextCommit }
  s.health = { status: 'Healthy', lastTransitionTime: '2026-04-28T16:31:00Z' }
  s.summary = { images: ['ghcr.io/podtato-head/podtato-server:v0.3.1'] }
  s.operationState = {
    operation: { sync: { revision: nextCommit }, initiatedBy: { automated: true }, retry: {} },
    phase: 'Failed',
    message: 'one or more objects failed to apply, reason: Deployment.apps "helloservice" is invalid: spec.template.spec.containers[0].image: Required value',
    syncResult: {
      resources: [
        { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'podtato-dev', name: 'helloservice', status: 'SyncFailed', message: 'Deployment.apps "helloservice" is invalid: spec.template.spec.containers[0].image: Required value', hookPhase: 'Failed', syncPhase: 'Sync' }
      ],
      revision: nextCommit,
      source
    },
    startedAt: '2026-05-04T10:02:55Z',
    finishedAt: '2026-05-04T10:03:30Z',
    retryCount: 5
  }
  return o
})()

// ---------------------------------------------------------------------------------------------
// A kind the observer does not read.

export const deployment: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'helloservice', namespace: 'podtato-dev', generation: 2, labels },
  spec: {
    selector: { matchLabels: { app: 'helloservice' } },
    template: { metadata: { labels: { app: 'helloservice' } }, spec: { containers: [{ name: 'server', image: 'ghcr.io/podtato-head/podtato-server:v0.3.2' }] } }
  },
  status: {
    observedGeneration: 2,
    replicas: 1,
    readyReplicas: 1,
    availableReplicas: 1,
    updatedReplicas: 1,
    conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: '2026-05-04T10:03:20Z', lastTransitionTime: '2026-05-04T10:03:20Z' }]
  }
}

/** Every object above by name: what the peer decodes. */
export const objects: Record<string, KubeObject> = {
  helmReleaseDeployed,
  helmReleaseOci,
  helmReleaseBehind,
  helmReleaseUpgradeFailed,
  helmReleaseStalled,
  helmReleaseTestsPending,
  helmReleaseTestsPassed,
  helmReleaseTestsFailedIgnored,
  helmReleaseLastFailed,
  helmReleaseV2beta1,
  kustomizationReady,
  kustomizationReconciledAgain,
  kustomizationAttempting,
  kustomizationProgressing,
  kustomizationStalled,
  kustomizationOci,
  applicationSynced,
  applicationSyncFailed,
  deployment
}

/** The API versions Flux 2.9 no longer serves (the CRD skips them), so kube-decode has no type. */
export const notServed = new Set(['helmReleaseV2beta1'])
