import t from 'tap'
import { readFileSync } from 'node:fs'
import { fromFluxEvent } from '../../../app/core/sources/flux.js'
import type { FluxEvent } from '../../../schemas/flux-event.js'

const raw = (name: string) => readFileSync(new URL(`../../fixtures/flux/${name}.json`, import.meta.url))
const translate = (name: string) => {
  const bytes = raw(name)
  return fromFluxEvent(JSON.parse(bytes.toString('utf8')) as FluxEvent, bytes)
}

t.test('a HelmRelease upgrade carries the app version (not the chart version) and the mapping metadata', async t => {
  const result = translate('helmrelease-upgrade-succeeded')
  t.same(result, {
    source: 'flux',
    object: { kind: 'HelmRelease', namespace: 'podtato-dev', name: 'helloservice', apiVersion: 'helm.toolkit.fluxcd.io/v2', uid: '1cc2e788-18c0-45e9-b959-b8c7833e5de5' },
    outcome: 'success',
    reason: 'UpgradeSucceeded',
    message: 'Helm upgrade succeeded for release podtato-dev/helloservice.v3 with chart podtato-head@1.4.0',
    versions: ['0.3.2'],
    revision: '1.4.0',
    metadata: { 'app-version': 'v0.3.2', 'keptn-project': 'podtato', 'keptn-service': 'helloservice', 'keptn-stage': 'dev', revision: '1.4.0' },
    occurredAt: Date.parse('2026-11-20T10:00:00Z'),
    deliveryId: result.deliveryId
  })
  t.notOk('commit' in result, 'a chart version names no commit')
})

t.test('a Kustomization reconciliation gives the git commit and no version', async t => {
  const result = translate('kustomization-reconciliation-succeeded')
  t.equal(result.outcome, 'success')
  t.equal(result.commit, '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8')
  t.equal(result.revision, 'main@sha1:86f7e437faa5a7fce15d1ddcb9eaeaea377667b8')
  t.same(result.versions, [])
  t.same(result.object, { kind: 'Kustomization', namespace: 'flux-system', name: 'podtato-dev', apiVersion: 'kustomize.toolkit.fluxcd.io/v1', uid: '6ea44db4-41c3-49c2-9f66-f081bd9b378c' })
})

t.test('an OCI-sourced Kustomization takes its commit from originRevision', async t => {
  const result = translate('kustomization-oci-reconciliation-succeeded')
  t.equal(result.commit, '84a516841ba77a5b4648de2cd0dfcb30ea46dbb4')
  t.match(result.revision, /^latest@sha256:/)
  t.same(result.versions, [])
})

t.test('failures, rollbacks, progress and source events are told apart', async t => {
  const cases: Array<[string, string]> = [
    ['helmrelease-upgrade-failed', 'failure'],
    ['helmrelease-rollback-succeeded', 'failure'],
    ['kustomization-health-check-failed', 'failure'],
    ['helmrelease-install-succeeded', 'success'],
    ['helmrelease-progressing', 'none'],
    ['gitrepository-new-artifact', 'none']
  ]
  for (const [name, outcome] of cases) t.equal(translate(name).outcome, outcome, name)
})

t.test('old v2beta1 / v1beta1 events with generic reasons still work', async t => {
  const upgraded = translate('helmrelease-v2beta1-upgrade-succeeded')
  t.match(upgraded, { outcome: 'success', reason: 'info', versions: [], object: { apiVersion: 'helm.toolkit.fluxcd.io/v2beta1' } })
  t.equal(translate('helmrelease-v2beta1-upgrade-failed').outcome, 'failure')
  const reconciled = translate('kustomization-v1beta1-reconciliation-succeeded')
  t.match(reconciled, { outcome: 'success', commit: '3c363836cf4e16666669a25da280a1865c2d2874', revision: 'main/3c363836cf4e16666669a25da280a1865c2d2874' })
})

t.test('a retried delivery has the same id; one changed byte gives another', async t => {
  const bytes = raw('helmrelease-upgrade-succeeded')
  const event = JSON.parse(bytes.toString('utf8')) as FluxEvent
  const first = fromFluxEvent(event, bytes)
  t.equal(fromFluxEvent(event, Buffer.from(bytes)).deliveryId, first.deliveryId)
  t.equal(fromFluxEvent(event, bytes.toString('utf8')).deliveryId, first.deliveryId, 'string and Buffer of the same bytes agree')
  t.match(first.deliveryId, /^[0-9a-f]{64}$/)
  const changed = Buffer.from(bytes)
  changed[changed.indexOf('10:00:00')] = '1'.charCodeAt(0) - 1
  t.not(fromFluxEvent(event, changed).deliveryId, first.deliveryId)
})

t.test('missing optional fields are tolerated', async t => {
  const event = {
    involvedObject: { kind: 'HelmRelease', name: 'helloservice' },
    severity: 'info',
    timestamp: '2026-11-20T10:00:00Z',
    message: 'Helm upgrade succeeded',
    reason: 'info',
    reportingController: 'helm-controller'
  } as unknown as FluxEvent
  const result = fromFluxEvent(event, JSON.stringify(event))
  t.same(result.object, { kind: 'HelmRelease', namespace: '', name: 'helloservice' })
  t.same(result.metadata, {})
  t.same(result.versions, [])
  t.notOk('revision' in result)
  t.notOk('commit' in result)
  t.equal(result.outcome, 'success')
})
