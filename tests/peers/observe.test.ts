// The objects tests/core/observe/read-status.test.ts reads (tests/core/observe/objects.ts) are the
// controllers' own: each one decodes strictly (unknown fields, wrong types, wrong case refused) into
// the Go type its controller writes, with kube-decode (tests/peers/helm, Flux 2.9 and Argo CD 3.6
// API modules). Build it with `bash tests/peers/helm/build.sh`; run with
// `npx tap --disable-coverage tests/peers/observe.test.ts` or `npm run test:peers`.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { objects, notServed } from '../core/observe/objects.js'
import type { KubeObject } from '../../app/core/observe/read-status.js'

const kubeDecode = fileURLToPath(new URL('./.bin/kube-decode', import.meta.url))
if (!existsSync(kubeDecode)) throw new Error('tests/peers/.bin/kube-decode is missing: run bash tests/peers/helm/build.sh')

function decode (object: unknown) {
  const r = spawnSync(kubeDecode, [], { encoding: 'utf8', input: JSON.stringify(object), timeout: 60_000 })
  const lines = r.stdout.split('\n')
  return { status: r.status, ok: lines.filter(l => l.startsWith('OK ')), fail: lines.filter(l => l.startsWith('FAIL ')), output: r.stdout + r.stderr }
}

const goTypes: Record<string, string> = {
  'helm.toolkit.fluxcd.io/v2 HelmRelease': 'github.com/fluxcd/helm-controller/api/v2.HelmRelease',
  'kustomize.toolkit.fluxcd.io/v1 Kustomization': 'github.com/fluxcd/kustomize-controller/api/v1.Kustomization',
  'argoproj.io/v1alpha1 Application': 'github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1.Application',
  'apps/v1 Deployment': 'k8s.io/api/apps/v1.Deployment'
}
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

t.test('every object read-status.test.ts reads decodes strictly into its controller\'s Go type', async t => {
  const names = Object.keys(objects).filter(name => !notServed.has(name))
  t.ok(names.length >= 15, `${names.length} objects`)
  for (const kind of ['HelmRelease', 'Kustomization', 'Application']) {
    t.ok(names.some(n => objects[n]!.kind === kind), `${kind} objects among them`)
  }
  for (const name of names) {
    const object = objects[name]!
    const gvk = `${object.apiVersion} ${object.kind}`
    const goType = goTypes[gvk]
    t.ok(goType, `${name}: ${gvk} is one of the expected kinds`)
    const d = decode(object)
    t.equal(d.status, 0, `${name}: kube-decode exits 0`, { output: d.output })
    t.same(d.fail, [], `${name}: no FAIL`)
    t.match(d.ok[0] ?? d.output, new RegExp(`^OK <stdin>\\[0\\] ${escape(gvk)} ${escape(`${object.metadata!.namespace}/${object.metadata!.name}`)} \\(${escape(goType ?? '?')}\\)$`), `${name}: ${goType}`)
  }
})

t.test('the decoding reaches status: a field the controller does not write is refused', async t => {
  const broken = (object: KubeObject, edit: (status: Record<string, any>) => void) => {
    const copy = structuredClone(object)
    edit(copy.status as Record<string, any>)
    return copy
  }
  const cases: Array<[string, KubeObject, RegExp]> = [
    ['a status field helm-controller v2 does not have (only v2beta1/v2beta2 have lastAppliedRevision)',
      broken(objects.helmReleaseDeployed!, s => { s.lastAppliedRevision = s.history[0].chartVersion }), /unknown field "status\.lastAppliedRevision"/],
    ['history[0] names are case-sensitive',
      broken(objects.helmReleaseDeployed!, s => { s.history[0].ociDIgest = s.history[0].chartVersion }), /unknown field "status\.history\[0\]\.ociDIgest"/],
    ['a condition time is RFC 3339',
      broken(objects.helmReleaseDeployed!, s => { s.conditions[0].lastTransitionTime = '2026-05-04 10:02:30' }), /parsing time/],
    ['a Kustomization status field kustomize-controller does not have',
      broken(objects.kustomizationReady!, s => { s.lastAppliedCommit = s.lastAppliedRevision }), /unknown field "status\.lastAppliedCommit"/],
    ['a history Snapshot count is a number',
      broken(objects.kustomizationReady!, s => { s.history[0].totalReconciliations = '1' }), /cannot unmarshal string/],
    ['an operationState field Argo CD does not have',
      broken(objects.applicationSynced!, s => { s.operationState.finishedAT = s.operationState.finishedAt }), /unknown field "status\.operationState\.finishedAT"/],
    ['the Application health is an object',
      broken(objects.applicationSynced!, s => { s.health = 'Healthy' }), /cannot unmarshal string/]
  ]
  for (const [name, object, reason] of cases) {
    const d = decode(object)
    t.equal(d.status, 1, `${name}: exit 1`)
    t.match(d.fail[0] ?? d.output, reason, name)
  }
})

t.test('helm.toolkit.fluxcd.io/v2beta1 is not served by Flux 2.9: kube-decode has no type for it', async t => {
  // helm-controller api v2beta1 (and v2beta2) carry +kubebuilder:skipversion: the CRD no longer
  // serves them. The v2beta1 object is shaped from api/v2beta1 HelmReleaseStatus by hand.
  for (const name of notServed) {
    const d = decode(objects[name])
    t.equal(d.status, 1, `${name}: refused`)
    t.match(d.fail[0] ?? d.output, /no Go type known for helm\.toolkit\.fluxcd\.io\/v2beta1, Kind=HelmRelease/, name)
  }
})
