import t from 'tap'
import { request } from 'undici'
import { startKubernetesFake, type KubernetesFake } from './kubernetes-fake.js'

const TOKEN = 'fake-token-0123456789'
const HR = 'helm.toolkit.fluxcd.io/v2'
const HRS = `/apis/${HR}/helmreleases`
const nsHrs = (ns: string) => `/apis/${HR}/namespaces/${ns}/helmreleases`

async function fakeFor (t: { teardown (fn: () => unknown): void }): Promise<KubernetesFake> {
  const fake = await startKubernetesFake({ token: TOKEN })
  t.teardown(() => fake.close())
  return fake
}

async function get (fake: KubernetesFake, path: string, opts: { query?: Record<string, string | number>, token?: string | null, accept?: string, method?: 'GET' | 'POST' } = {}) {
  const headers: Record<string, string> = {}
  const token = opts.token === undefined ? TOKEN : opts.token
  if (token !== null) headers.authorization = `Bearer ${token}`
  if (opts.accept) headers.accept = opts.accept
  const query = opts.query ? '?' + new URLSearchParams(Object.entries(opts.query).map(([k, v]) => [k, String(v)])).toString() : ''
  const res = await request(fake.url + path + query, { method: opts.method ?? 'GET', headers, reset: true })
  return { status: res.statusCode, body: await res.body.json() as any }
}

const names = (body: any): string[] => body.items.map((i: any) => `${i.metadata.namespace}/${i.metadata.name}`)

t.test('lists a collection over all namespaces and per namespace, sorted by namespace/name', async t => {
  const fake = await fakeFor(t)
  fake.setObject(HR, 'HelmRelease', 'b', 'two', { app: 'two' }, { spec: { interval: '5m' }, status: { observedGeneration: 1 } })
  fake.setObject(HR, 'HelmRelease', 'a', 'one')
  fake.setObject(HR, 'HelmRelease', 'a-b', 'three')
  fake.setObject(HR, 'HelmRelease', 'a', 'zero')
  fake.setObject('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'a', 'kust')
  fake.setObject('helm.toolkit.fluxcd.io/v2beta2', 'HelmRelease', 'a', 'old-version')

  const all = await get(fake, HRS)
  t.equal(all.status, 200)
  t.equal(all.body.apiVersion, HR)
  t.equal(all.body.kind, 'HelmReleaseList')
  t.same(all.body.metadata, { resourceVersion: '6' }, 'no continue: everything fits')
  t.notOk('continue' in all.body.metadata)
  t.same(names(all.body), ['a-b/three', 'a/one', 'a/zero', 'b/two'], 'byte order of namespace/name, as etcd keys sort')
  t.match(all.body.items[3], { apiVersion: HR, kind: 'HelmRelease', metadata: { name: 'two', namespace: 'b', uid: 'uid-two', labels: { app: 'two' } }, spec: { interval: '5m' }, status: { observedGeneration: 1 } })

  t.same(names((await get(fake, nsHrs('a'))).body), ['a/one', 'a/zero'], 'namespace a only, not a-b')
  t.same(names((await get(fake, nsHrs('a-b'))).body), ['a-b/three'])
  const empty = await get(fake, nsHrs('nothing-here'))
  t.equal(empty.status, 200)
  t.same(empty.body.items, [])
  t.same(names((await get(fake, '/apis/helm.toolkit.fluxcd.io/v2beta2/helmreleases')).body), ['a/old-version'], 'versions are kept apart, as GET does')
  t.same(names((await get(fake, '/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations')).body), ['a/kust'])
  t.same((await get(fake, '/apis/source.toolkit.fluxcd.io/v1/gitrepositories')).body.items, [], 'a known resource with nothing stored is an empty list')
  t.equal(fake.listCalls(), 7)
  t.equal(fake.objectCount(), 6)
  t.same(fake.requests.at(-1), '/apis/source.toolkit.fluxcd.io/v1/gitrepositories')
})

t.test('core, apps and Argo CD collections; built-in list items carry no apiVersion/kind', async t => {
  const fake = await fakeFor(t)
  fake.setObject('v1', 'ConfigMap', 'apps', 'settings', undefined, { spec: {} })
  fake.setObject('apps/v1', 'Deployment', 'apps', 'cart', { app: 'cart' }, { status: { readyReplicas: 1 } })
  fake.setObject('argoproj.io/v1alpha1', 'Application', 'argocd', 'shop', { team: 'a' }, { status: { sync: { status: 'Synced' } } })

  const cms = await get(fake, '/api/v1/namespaces/apps/configmaps')
  t.equal(cms.body.kind, 'ConfigMapList')
  t.equal(cms.body.apiVersion, 'v1')
  t.same(cms.body.items, [{ metadata: { name: 'settings', namespace: 'apps', uid: 'uid-settings', resourceVersion: '1', generation: 1 }, spec: {} }])
  t.same(names((await get(fake, '/api/v1/configmaps')).body), ['apps/settings'])

  const deps = await get(fake, '/apis/apps/v1/deployments', { query: { labelSelector: 'app=cart' } })
  t.equal(deps.body.kind, 'DeploymentList')
  t.same(deps.body.items[0].status, { readyReplicas: 1 })
  t.notOk('kind' in deps.body.items[0])

  const apps = await get(fake, '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications')
  t.equal(apps.body.kind, 'ApplicationList')
  t.match(apps.body.items, [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'shop' }, status: { sync: { status: 'Synced' } } }])
  const one = await get(fake, '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/shop')
  t.equal(one.status, 200, 'GET of one Application')
  t.equal(one.body.kind, 'Application')
})

t.test('label selectors', async t => {
  const fake = await fakeFor(t)
  fake.setObject(HR, 'HelmRelease', 'x', 'cart', { app: 'cart', tier: 'web', env: 'prod', 'keptn.sh/project': 'shop' })
  fake.setObject(HR, 'HelmRelease', 'x', 'db', { app: 'db', tier: 'data', env: 'prod' })
  fake.setObject(HR, 'HelmRelease', 'x', 'lone', { app: 'lone', tier: '' })
  fake.setObject(HR, 'HelmRelease', 'x', 'none')
  const cases: Array<[string, string[]]> = [
    ['', ['cart', 'db', 'lone', 'none']],
    ['app=cart', ['cart']],
    ['app==cart', ['cart']],
    [' app = cart ', ['cart']],
    ['env!=prod', ['lone', 'none']],
    ['tier', ['cart', 'db', 'lone']],
    ['!tier', ['none']],
    ['!env', ['lone', 'none']],
    ['app in (cart,db)', ['cart', 'db']],
    ['app in ( cart , lone )', ['cart', 'lone']],
    ['app notin (cart,db)', ['lone', 'none']],
    ['env=prod,tier=web', ['cart']],
    ['env=prod,!tier', []],
    ['tier,app notin (db)', ['cart', 'lone']],
    ['keptn.sh/project=shop', ['cart']],
    ['keptn.sh/project', ['cart']],
    ['tier=', ['lone']],
    ['tier in (web,)', ['cart', 'lone']],
    ['tier in (,data)', ['db', 'lone']],
    ['tier notin (web,,data)', ['none']],
    ['app=in', []],
    ['app=nobody', []]
  ]
  for (const [labelSelector, expected] of cases) {
    const res = await get(fake, HRS, { query: { labelSelector } })
    t.equal(res.status, 200, labelSelector)
    t.same(res.body.items.map((i: any) => i.metadata.name), expected, `"${labelSelector}"`)
  }
})

t.test('an invalid label selector is a 400 BadRequest Status', async t => {
  const fake = await fakeFor(t)
  fake.setObject(HR, 'HelmRelease', 'x', 'cart', { app: 'cart' })
  const bad = [
    'app=cart,', ',app', 'app=cart,,tier', '=cart', 'app cart', 'app=x y', 'app=(x)', 'app in cart', 'app in ()',
    'app in (a b)', 'app in (a', 'app notin (a=b)', '!', '!app=x', '!=x', 'in=x', 'app>1', 'tier<2',
    '-bad=x', 'a/b/c', 'Upper.io/x=y', 'app=-x', `app=${'v'.repeat(64)}`, `${'k'.repeat(64)}=v`, 'app=a/b', '(app)'
  ]
  for (const labelSelector of bad) {
    const res = await get(fake, HRS, { query: { labelSelector } })
    t.equal(res.status, 400, `"${labelSelector}"`)
    t.match(res.body, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'BadRequest', code: 400, message: /^unable to parse requirement: / })
  }
})

t.test('limit and continue page through every item exactly once, in order', async t => {
  const fake = await fakeFor(t)
  const expected: string[] = []
  for (const ns of ['ns-a', 'ns-b', 'ns-c']) {
    for (let i = 0; i < 8; i++) {
      const name = `hr-${String(i).padStart(2, '0')}`
      fake.setObject(HR, 'HelmRelease', ns, name, { parity: i % 2 === 0 ? 'even' : 'odd' })
      expected.push(`${ns}/${name}`)
    }
  }
  fake.setObject(HR, 'HelmRelease', 'ns-c', 'hr-99', { parity: 'none' })
  expected.push('ns-c/hr-99')

  async function pages (path: string, query: Record<string, string | number>) {
    const seen: string[] = []
    const sizes: number[] = []
    const rvs = new Set<string>()
    let token: string | undefined
    do {
      const res = await get(fake, path, { query: { ...query, ...(token ? { continue: token } : {}) } })
      t.equal(res.status, 200)
      seen.push(...names(res.body))
      sizes.push(res.body.items.length)
      rvs.add(res.body.metadata.resourceVersion)
      token = res.body.metadata.continue
      if (token !== undefined) t.match(token, /^[A-Za-z0-9_-]+$/, 'an opaque base64url token')
    } while (token !== undefined && sizes.length < 50)
    return { seen, sizes, rvs }
  }

  const all = await pages(HRS, { limit: 7 })
  t.same(all.seen, expected, 'every item once, in namespace/name order')
  t.same(all.sizes, [7, 7, 7, 4])
  t.same([...all.rvs], ['25'], 'every page carries the first page\'s resourceVersion')

  const exact = await pages(HRS, { limit: 25 })
  t.same(exact.sizes, [25], 'no continue when the page holds the last item')

  const even = await pages(HRS, { limit: 4, labelSelector: 'parity=even' })
  t.same(even.seen, expected.filter((_, i) => i < 24 && i % 2 === 0))
  t.same(even.sizes, [4, 4, 4], 'no empty last page although a non-matching item follows the last match')

  const nsB = await pages(nsHrs('ns-b'), { limit: 3 })
  t.same(nsB.seen, expected.filter(k => k.startsWith('ns-b/')))
  t.same(nsB.sizes, [3, 3, 2])

  t.same((await pages(HRS, { limit: 0 })).sizes, [25], 'limit 0 is no limit')

  // Changes between pages: the next page shows today's items after the cursor.
  const first = await get(fake, HRS, { query: { limit: 20 } })
  fake.deleteObject(HR, 'HelmRelease', 'ns-c', 'hr-05')
  fake.setObject(HR, 'HelmRelease', 'ns-c', 'hr-055')
  fake.setObject(HR, 'HelmRelease', 'ns-a', 'hr-000')
  const rest = await get(fake, HRS, { query: { continue: first.body.metadata.continue } })
  t.same(names(rest.body), ['ns-c/hr-04', 'ns-c/hr-055', 'ns-c/hr-06', 'ns-c/hr-07', 'ns-c/hr-99'])
  t.notOk('continue' in rest.body.metadata, 'no limit on the continued request: the rest')
})

t.test('a bad continue token or limit is a 400 BadRequest', async t => {
  const fake = await fakeFor(t)
  fake.setObject(HR, 'HelmRelease', 'x', 'cart')
  const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')
  const tokens = [
    'garbage!!', b64('not json'), b64([1]), b64({ v: 'meta.k8s.io/v2', rv: 1, start: 'x/\u0000' }), b64({ v: 'meta.k8s.io/v1', rv: 0, start: 'x/\u0000' }),
    b64({ v: 'meta.k8s.io/v1', rv: '1', start: 'x/\u0000' }), b64({ v: 'meta.k8s.io/v1', rv: 1, start: '' }), b64({ v: 'meta.k8s.io/v1', rv: 1 })
  ]
  for (const token of tokens) {
    const res = await get(fake, HRS, { query: { continue: token } })
    t.equal(res.status, 400, token)
    t.match(res.body, { kind: 'Status', reason: 'BadRequest', code: 400, message: /^continue key is not valid/ })
  }
  const ok = await get(fake, HRS, { query: { continue: b64({ v: 'meta.k8s.io/v1', rv: 1, start: 'a/\u0000' }) } })
  t.equal(ok.status, 200, 'a well-formed token is followed')
  t.same(names(ok.body), ['x/cart'])
  for (const limit of ['abc', '1.5']) {
    const res = await get(fake, HRS, { query: { limit } })
    t.equal(res.status, 400, `limit ${limit}`)
    t.equal(res.body.reason, 'BadRequest')
  }
  t.equal((await get(fake, HRS, { query: { limit: '' } })).status, 200, 'an empty limit is no limit')
})

t.test('an unknown resource is a 404 NotFound Status, like the real server', async t => {
  const fake = await fakeFor(t)
  for (const path of ['/apis/helm.toolkit.fluxcd.io/v2/widgets', '/apis/helm.toolkit.fluxcd.io/v2/namespaces/x/widgets', '/apis/apps/v1/helmreleases', '/api/v1/namespaces', '/apis/unknown.example.com/v1/things']) {
    const res = await get(fake, path)
    t.equal(res.status, 404, path)
    t.same(res.body, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 })
  }
  t.equal(fake.listCalls(), 5)
  for (const path of ['/apis/helm.toolkit.fluxcd.io/v2/namespaces/x', '/apis/helm.toolkit.fluxcd.io', '/api', '/healthz', `${nsHrs('x')}/`]) {
    t.equal((await get(fake, path)).status, 404, `${path} is no collection`)
  }
  t.equal(fake.listCalls(), 5, 'only collection paths count as LIST')
})

t.test('auth, forbid, delay and goDown apply to lists', async t => {
  const fake = await fakeFor(t)
  fake.setObject(HR, 'HelmRelease', 'x', 'cart')
  const noToken = await get(fake, HRS, { token: null })
  t.equal(noToken.status, 401)
  t.match(noToken.body, { kind: 'Status', reason: 'Unauthorized', code: 401 })
  t.equal((await get(fake, HRS, { token: 'wrong' })).status, 401)
  fake.setToken('rotated')
  t.equal((await get(fake, HRS)).status, 401, 'the old token no longer works')
  t.equal((await get(fake, HRS, { token: 'rotated' })).status, 200)
  fake.setToken(TOKEN)
  t.equal((await get(fake, HRS, { method: 'POST' })).status, 405)

  fake.forbid(HRS)
  const forbidden = await get(fake, HRS, { query: { labelSelector: 'app=x' } })
  t.equal(forbidden.status, 403)
  t.match(forbidden.body, { kind: 'Status', reason: 'Forbidden', code: 403, message: /cannot list/ })
  t.equal((await get(fake, nsHrs('x'))).status, 200, 'the namespaced list is another path')
  t.equal((await get(fake, `${nsHrs('x')}/cart`)).status, 200, 'and so is the object')
  t.equal(fake.listCalls(), 6, 'refused lists counted, the POST and the object GET not')

  fake.delay(150)
  const started = performance.now()
  t.equal((await get(fake, nsHrs('x'))).status, 200)
  t.ok(performance.now() - started >= 140, 'held back')
  fake.delay(0)

  await fake.goDown()
  await t.rejects(get(fake, nsHrs('x')), { code: 'ECONNREFUSED' })
})

t.test('resourceVersion, generation, annotations and deleteObject', async t => {
  const fake = await fakeFor(t)
  const path = fake.setObject(HR, 'HelmRelease', 'x', 'cart', { app: 'cart' })
  t.equal(path, `${nsHrs('x')}/cart`)
  const first = (await get(fake, path)).body
  t.same(first.metadata, { name: 'cart', namespace: 'x', uid: 'uid-cart', resourceVersion: '1', generation: 1, labels: { app: 'cart' } })

  fake.setObject('v1', 'ConfigMap', 'x', 'other')
  fake.setObject(HR, 'HelmRelease', 'x', 'cart', { app: 'cart' }, { spec: { x: 1 }, generation: 4, annotations: { 'a.io/b': 'c' } })
  const second = (await get(fake, path)).body
  t.same(second.metadata, { name: 'cart', namespace: 'x', uid: 'uid-cart', resourceVersion: '3', generation: 4, labels: { app: 'cart' }, annotations: { 'a.io/b': 'c' } })
  t.ok(Number(second.metadata.resourceVersion) > Number(first.metadata.resourceVersion), 'replacing bumps resourceVersion')
  t.same(second.spec, { x: 1 })
  t.equal((await get(fake, HRS)).body.metadata.resourceVersion, '3', 'a list carries the latest resourceVersion')
  t.equal(fake.objectCount(), 2, 'replaced, not added')

  const partial = await get(fake, path, { accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1' })
  t.same(partial.body, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: second.metadata })
  const partialList = await get(fake, HRS, { accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1', query: { limit: 5 } })
  t.same(partialList.body, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '3' }, items: [{ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: second.metadata }] })

  fake.deleteObject(HR, 'HelmRelease', 'x', 'cart')
  t.equal(fake.objectCount(), 1)
  t.equal((await get(fake, path)).status, 404)
  const after = await get(fake, HRS)
  t.same(after.body.items, [])
  t.equal(after.body.metadata.resourceVersion, '4', 'a delete bumps resourceVersion too')
  fake.deleteObject(HR, 'HelmRelease', 'x', 'cart')
  t.equal((await get(fake, HRS)).body.metadata.resourceVersion, '4', 'deleting nothing changes nothing')
  t.throws(() => fake.setObject('example.com/v1', 'Widget', 'x', 'w'), /add a plural for Widget/)
  t.throws(() => fake.deleteObject('example.com/v1', 'Widget', 'x', 'w'), /add a plural for Widget/)

  fake.setObject('example.com/v9', 'HelmRelease', 'x', 'odd')
  t.same(names((await get(fake, '/apis/example.com/v9/helmreleases')).body), ['x/odd'], 'a group/version used by setObject is served')
})

t.test('5,000 HelmReleases: a selector list and a paged walk stay fast', async t => {
  const fake = await fakeFor(t)
  let started = performance.now()
  // Reverse order so every insert lands at the front of the sorted keys.
  for (let i = 4999; i >= 0; i--) {
    fake.setObject(HR, 'HelmRelease', `ns-${i % 50}`, `hr-${i}`, { 'keptn.sh/project': `p${i % 10}`, app: `hr-${i}` }, { status: { conditions: [{ type: 'Ready', status: 'True' }] } })
  }
  const storeMs = performance.now() - started
  t.equal(fake.objectCount(), 5000)

  started = performance.now()
  const selected = await get(fake, HRS, { query: { labelSelector: 'keptn.sh/project=p3,app' } })
  const selectMs = performance.now() - started
  t.equal(selected.body.items.length, 500)

  started = performance.now()
  let token: string | undefined
  let seen = 0
  let calls = 0
  do {
    const res = await get(fake, HRS, { query: { limit: 500, labelSelector: 'keptn.sh/project in (p1,p2)', ...(token ? { continue: token } : {}) } })
    seen += res.body.items.length
    token = res.body.metadata.continue
    calls++
  } while (token !== undefined)
  const pagedMs = performance.now() - started
  t.equal(seen, 1000)
  t.equal(calls, 2)
  t.comment(`store ${storeMs.toFixed(0)} ms, selector list ${selectMs.toFixed(0)} ms, paged walk ${pagedMs.toFixed(0)} ms`)
  // Generous bounds (shared CI cores); an O(n^2) store or list takes far longer.
  t.ok(storeMs < 2000, `stored in ${storeMs.toFixed(0)} ms`)
  t.ok(selectMs < 1500, `listed in ${selectMs.toFixed(0)} ms`)
  t.ok(pagedMs < 1500, `paged in ${pagedMs.toFixed(0)} ms`)
})
