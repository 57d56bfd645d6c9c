import { execFileSync } from 'node:child_process'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type Test } from 'tap'
import { createKubernetesResolver, kubernetesApiUrlFromEnv, type KubernetesResolverOptions } from '../../../app/core/mapping/kubernetes.js'
import { resolverChain } from '../../../app/core/mapping/chain.js'
import type { MappingInput } from '../../../app/core/mapping/types.js'
import { startKubernetesFake } from '../../helpers/kubernetes-fake.js'

const TOKEN = 'token-one-1234567890'
const HR = 'helm.toolkit.fluxcd.io/v2'
const keptnLabels = { 'keptn.sh/project': 'shop', 'keptn.sh/stage': 'prod', 'keptn.sh/service': 'cart' }

function event (name: string, extra: Partial<MappingInput['object']> = {}): MappingInput {
  return { object: { kind: 'HelmRelease', namespace: 'apps', name, apiVersion: HR, ...extra }, metadata: {} }
}

async function setup (t: Test, opts: Partial<KubernetesResolverOptions> = {}) {
  const fake = await startKubernetesFake({ token: TOKEN })
  t.teardown(() => fake.close())
  const dir = t.testdir({ token: `${TOKEN}\n` })
  const tokenFile = join(dir, 'token')
  const logs: Array<{ level: string, obj: object, msg?: string }> = []
  const log = (level: string) => (obj: object, msg?: string) => { logs.push({ level, obj, msg }) }
  const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
  let clock = 1_000_000
  const resolver = createKubernetesResolver({ apiUrl: fake.url, tokenFile, logger, now: () => clock, ...opts })
  t.teardown(() => resolver.close())
  const warnings = () => logs.filter(l => l.level === 'warn')
  return { fake, resolver, logs, warnings, tokenFile, advance: (ms: number) => { clock += ms } }
}

/** Replaces the file the way kubelet does: a new file swapped in, never a partial write. */
function rotate (file: string, token: string) {
  writeFileSync(`${file}.new`, `${token}\n`)
  renameSync(`${file}.new`, file)
}

test('maps the Keptn labels of a HelmRelease', async t => {
  const { fake, resolver } = await setup(t)
  fake.setObject(HR, 'HelmRelease', 'apps', 'cart', { ...keptnLabels, 'keptn.sh/sequence': 'delivery-direct', app: 'cart' })
  t.same(await resolver.resolve(event('cart')), { project: 'shop', stage: 'prod', service: 'cart', sequence: 'delivery-direct', via: 'kubernetes' })
  t.equal(resolver.name, 'kubernetes')
})

test('a wrong token falls through with one warning that does not show the token', async t => {
  const { fake, resolver, warnings, logs, advance } = await setup(t)
  fake.setObject(HR, 'HelmRelease', 'apps', 'cart', keptnLabels)
  fake.setToken('a-different-token')
  t.equal(await resolver.resolve(event('cart')), undefined)
  advance(11_000)
  t.equal(await resolver.resolve(event('cart')), undefined)
  t.equal(warnings().length, 1, 'warned once, not per event')
  t.match(warnings()[0]!.obj, { cause: '401', object: { name: 'cart' } })
  t.notMatch(JSON.stringify(logs), TOKEN)
})

test('a missing object and a forbidden one fall through to the next resolver', async t => {
  const { fake, resolver, warnings } = await setup(t)
  const path = fake.setObject(HR, 'HelmRelease', 'apps', 'secret-app', keptnLabels)
  fake.forbid(path)
  const next = { name: 'file', resolve: () => ({ project: 'p', stage: 's', service: 'from-file', via: 'file' }) }
  const chain = resolverChain([resolver, next])
  t.equal((await chain.resolve(event('gone')))?.via, 'file', '404')
  t.equal((await chain.resolve(event('secret-app')))?.via, 'file', '403')
  t.same(warnings().map(w => (w.obj as { cause: string }).cause), ['404', '403'])
  t.match((warnings()[1]!.obj as { reason: string }).reason, /forbidden/, 'the API\'s own reason is logged')
})

test('answers the second event from the cache', async t => {
  const { fake, resolver, advance } = await setup(t)
  const path = fake.setObject(HR, 'HelmRelease', 'apps', 'cart', keptnLabels)
  await resolver.resolve(event('cart'))
  advance(59_000)
  t.equal((await resolver.resolve(event('cart')))?.service, 'cart')
  t.same(fake.requests, [path])
  advance(2_000)
  await resolver.resolve(event('cart'))
  t.equal(fake.requests.length, 2, 'asked again once the TTL passed')
})

test('concurrent events for one object share one request', async t => {
  const { fake, resolver } = await setup(t)
  fake.setObject(HR, 'HelmRelease', 'apps', 'cart', keptnLabels)
  fake.delay(50)
  const answers = await Promise.all([1, 2, 3, 4].map(() => resolver.resolve(event('cart'))))
  t.same(answers.map(a => a?.service), ['cart', 'cart', 'cart', 'cart'])
  t.equal(fake.requests.length, 1)
})

test('a negative answer is cached briefly, then asked again', async t => {
  const { fake, resolver, advance } = await setup(t)
  t.equal(await resolver.resolve(event('cart')), undefined)
  fake.setObject(HR, 'HelmRelease', 'apps', 'cart', keptnLabels)
  advance(9_000)
  t.equal(await resolver.resolve(event('cart')), undefined, 'still the cached 404')
  t.equal(fake.requests.length, 1)
  advance(2_000)
  t.equal((await resolver.resolve(event('cart')))?.project, 'shop')
})

test('an object without Keptn labels is a quiet miss; incomplete labels warn', async t => {
  const { fake, resolver, warnings } = await setup(t)
  fake.setObject(HR, 'HelmRelease', 'apps', 'plain', { app: 'plain' })
  fake.setObject(HR, 'HelmRelease', 'apps', 'half', { 'keptn.sh/project': 'shop', 'keptn.sh/stage': 'prod' })
  t.equal(await resolver.resolve(event('plain')), undefined)
  t.equal(warnings().length, 0)
  t.equal(await resolver.resolve(event('half')), undefined)
  t.match(warnings(), [{ msg: /incomplete or invalid Keptn labels/, obj: { object: { name: 'half' } } }])
})

test('picks up a rotated token file', async t => {
  const { fake, resolver, tokenFile, advance } = await setup(t)
  fake.setObject(HR, 'HelmRelease', 'apps', 'cart', keptnLabels)
  t.ok(await resolver.resolve(event('cart')))
  rotate(tokenFile, 'token-two-rotated-0987654321')
  fake.setToken('token-two-rotated-0987654321')
  advance(61_000)
  t.equal((await resolver.resolve(event('cart')))?.service, 'cart')
  t.equal(fake.requests.length, 2, 'no refused request: the file was re-read before asking')
})

test('a 401 makes the resolver re-read the token at once', async t => {
  const { fake, resolver, tokenFile, warnings } = await setup(t)
  fake.setObject(HR, 'HelmRelease', 'apps', 'cart', keptnLabels)
  fake.setObject(HR, 'HelmRelease', 'apps', 'shop', keptnLabels)
  t.ok(await resolver.resolve(event('cart')))
  rotate(tokenFile, 'token-three-xyz')
  fake.setToken('token-three-xyz')
  t.equal((await resolver.resolve(event('shop')))?.service, 'cart')
  t.equal(warnings().length, 0)
})

test('reads the token file at most once per check interval', async t => {
  const { fake, resolver, tokenFile } = await setup(t)
  fake.setObject(HR, 'HelmRelease', 'apps', 'cart', keptnLabels)
  t.ok(await resolver.resolve(event('cart')))
  writeFileSync(tokenFile, 'garbage-that-would-be-refused\n')
  // Another object, no cache entry, within the 30 s check interval: the token in memory is used.
  fake.setObject(HR, 'HelmRelease', 'apps', 'other', keptnLabels)
  t.ok(await resolver.resolve(event('other')))
})

test('an API that is down falls through quickly', async t => {
  const { fake, resolver, warnings } = await setup(t)
  await fake.goDown()
  const started = Date.now()
  t.equal(await resolver.resolve(event('cart')), undefined)
  t.ok(Date.now() - started < 1_000)
  t.match(warnings(), [{ obj: { cause: 'unreachable' } }])
})

test('an API that does not answer times out', async t => {
  const { fake, resolver, warnings } = await setup(t, { timeoutMs: 150 })
  fake.setObject(HR, 'HelmRelease', 'apps', 'cart', keptnLabels)
  fake.delay(1_000)
  const started = Date.now()
  t.equal(await resolver.resolve(event('cart')), undefined)
  t.ok(Date.now() - started < 900, 'gave up at the timeout')
  t.match(warnings(), [{ obj: { cause: 'timeout' } }])
})

test('uses the current Flux apiVersion when the event has none', async t => {
  const { fake, resolver } = await setup(t)
  fake.setObject('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'apps', 'cart', keptnLabels)
  const input: MappingInput = { object: { kind: 'Kustomization', namespace: 'apps', name: 'cart' }, metadata: {} }
  t.equal((await resolver.resolve(input))?.service, 'cart')
  t.same(fake.requests, ['/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/apps/kustomizations/cart'])
})

test('reads custom label keys', async t => {
  const { fake, resolver } = await setup(t, { labelKeys: { project: 'acme.io/project', stage: 'acme.io/env', service: 'acme.io/app' } })
  fake.setObject(HR, 'HelmRelease', 'apps', 'cart', { 'acme.io/project': 'shop', 'acme.io/env': 'dev', 'acme.io/app': 'cart', ...keptnLabels })
  t.same(await resolver.resolve(event('cart')), { project: 'shop', stage: 'dev', service: 'cart', via: 'kubernetes' })
})

test('does not look up objects whose payload carried labels (Argo CD)', async t => {
  const { fake, resolver } = await setup(t)
  t.equal(await resolver.resolve({ ...event('cart'), labels: {} }), undefined)
  t.equal(fake.requests.length, 0)
})

test('talks https to an API whose certificate the CA file vouches for', async t => {
  const dir = t.testdir({})
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=kubernetes', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'ca.crt')], { stdio: 'ignore' })
  const tls = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'ca.crt'), 'utf8') }
  const fake = await startKubernetesFake({ token: TOKEN, tls })
  t.teardown(() => fake.close())
  writeFileSync(join(dir, 'token'), TOKEN)
  const logger = { debug () {}, info () {}, warn () {}, error () {} }
  const resolver = createKubernetesResolver({ apiUrl: fake.url, tokenFile: join(dir, 'token'), caFile: join(dir, 'ca.crt'), logger })
  t.teardown(() => resolver.close())
  fake.setObject(HR, 'HelmRelease', 'apps', 'cart', keptnLabels)
  t.equal((await resolver.resolve(event('cart')))?.service, 'cart')
})

test('finds the in-cluster API from the service variables', async t => {
  t.equal(kubernetesApiUrlFromEnv({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }), 'https://10.96.0.1:443')
  t.equal(kubernetesApiUrlFromEnv({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }), 'https://[fd00::1]:443')
  t.equal(kubernetesApiUrlFromEnv({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }), undefined)
  t.equal(kubernetesApiUrlFromEnv({}), undefined)
})
