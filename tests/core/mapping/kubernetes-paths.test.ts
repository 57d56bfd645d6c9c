import { test } from 'tap'
import { objectPath, pluralOf } from '../../../app/core/mapping/kubernetes-paths.js'

test('builds the path of a HelmRelease from its apiVersion', async t => {
  t.equal(objectPath({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', namespace: 'apps', name: 'podinfo' }),
    '/apis/helm.toolkit.fluxcd.io/v2/namespaces/apps/helmreleases/podinfo')
})

test('keeps an older apiVersion the event names', async t => {
  t.equal(objectPath({ apiVersion: 'helm.toolkit.fluxcd.io/v2beta1', kind: 'HelmRelease', namespace: 'apps', name: 'podinfo' }),
    '/apis/helm.toolkit.fluxcd.io/v2beta1/namespaces/apps/helmreleases/podinfo')
})

test('falls back to current Flux API versions when apiVersion is missing', async t => {
  const cases: Array<[string, string]> = [
    ['HelmRelease', '/apis/helm.toolkit.fluxcd.io/v2/namespaces/ns/helmreleases/x'],
    ['Kustomization', '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/ns/kustomizations/x'],
    ['GitRepository', '/apis/source.toolkit.fluxcd.io/v1/namespaces/ns/gitrepositories/x'],
    ['HelmRepository', '/apis/source.toolkit.fluxcd.io/v1/namespaces/ns/helmrepositories/x'],
    ['HelmChart', '/apis/source.toolkit.fluxcd.io/v1/namespaces/ns/helmcharts/x'],
    ['Bucket', '/apis/source.toolkit.fluxcd.io/v1/namespaces/ns/buckets/x'],
    ['OCIRepository', '/apis/source.toolkit.fluxcd.io/v1/namespaces/ns/ocirepositories/x']
  ]
  for (const [kind, path] of cases) {
    t.equal(objectPath({ kind, namespace: 'ns', name: 'x' }), path, kind)
    t.equal(objectPath({ kind, namespace: 'ns', name: 'x', apiVersion: '' }), path, `${kind} with an empty apiVersion`)
  }
})

test('puts the core group under /api', async t => {
  t.equal(objectPath({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'settings' }),
    '/api/v1/namespaces/default/configmaps/settings')
})

test('guesses the plural of kinds it does not know', async t => {
  t.equal(pluralOf('ImagePolicy'), 'imagepolicies')
  t.equal(pluralOf('Gateway'), 'gateways')
  t.equal(pluralOf('Ingress'), 'ingresses')
  t.equal(pluralOf('Deployment'), 'deployments')
  t.equal(pluralOf('Endpoints'), 'endpoints')
  t.equal(objectPath({ apiVersion: 'image.toolkit.fluxcd.io/v1beta2', kind: 'ImagePolicy', namespace: 'ns', name: 'p' }),
    '/apis/image.toolkit.fluxcd.io/v1beta2/namespaces/ns/imagepolicies/p')
})

test('encodes every segment so a name cannot change the path', async t => {
  t.equal(objectPath({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a b', name: 'x/../../secrets?y' }),
    '/api/v1/namespaces/a%20b/configmaps/x%2F..%2F..%2Fsecrets%3Fy')
  t.throws(() => objectPath({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: '..' }), /invalid name/)
  t.throws(() => objectPath({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: '' }), /invalid name/)
})

test('refuses what cannot name an object', async t => {
  t.throws(() => objectPath({ kind: 'Widget', namespace: 'ns', name: 'w' }), /no apiVersion for kind 'Widget'/)
  t.throws(() => objectPath({ apiVersion: 'a/b/c', kind: 'Widget', namespace: 'ns', name: 'w' }), /invalid apiVersion/)
})

test('leaves out the namespace of a cluster-scoped object', async t => {
  t.equal(objectPath({ apiVersion: 'v1', kind: 'Namespace', namespace: '', name: 'apps' }), '/api/v1/namespaces/apps')
})
