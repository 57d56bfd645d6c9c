import { signBody } from '../app/core/auth.js'
import { prng, type Prng } from './lib/prng.js'

// Seeded hostile requests for POST /hooks/flux, POST /events/keptn and POST /hooks/argocd (with
// oversized labels and sender-chosen sync states: what a sender can make the bridge store or
// count). Case i depends only on
// (seed, i, now), so one case can be replayed alone. Shared by the fast fuzz test and bench:fuzz.

export interface FuzzCase {
  index: number
  /** What was done to the body, for the report. */
  label: string
  url: '/hooks/flux' | '/events/keptn' | '/hooks/argocd'
  headers: Record<string, string>
  body: Buffer
  /** The only acceptable status, when the case pins one (bad signature: 401; over the limit: 413). */
  expect?: number
}

export interface FuzzOptions {
  seed: number
  key: string
  /** Longest generated string; Flux events may carry megabytes. */
  maxString: number
  /** Largest generated structure (metadata keys, nesting, padding), in bytes. */
  maxBody: number
  /** One case in this many is over the route's body limit. */
  overLimitEvery: number
  now: number
  /** ARGOCD_WEBHOOK_TOKEN of the bridge under test. */
  argocdToken: string
}

export const allowedStatuses: ReadonlySet<number> = new Set([200, 202, 400, 401, 413, 415])
export const bodyLimits = { '/hooks/flux': 4 * 1024 * 1024, '/events/keptn': 1024 * 1024, '/hooks/argocd': 4 * 1024 * 1024 }

type Json = Record<string, unknown>
const services = [{ project: 'podtato', stage: 'dev', service: 'helloservice' }, { project: 'shop', stage: 'prod', service: 'cart' }]
const reasons = ['UpgradeSucceeded', 'InstallSucceeded', 'ReconciliationSucceeded', 'UpgradeFailed', 'RollbackSucceeded', 'HealthCheckFailed', 'Progressing', 'DependencyNotReady', 'ArtifactFailed', 'info', 'error', 'SomethingNewFailed']
const revisions = ['0.3.2', 'main@sha1:0123456789abcdef0123456789abcdef01234567', `v1.2.3@sha256:${'a'.repeat(64)}`, '1.0.0+0123456789ab', `sha256:${'b'.repeat(64)}`, 'main/0123456789abcdef0123456789abcdef01234567', '']
const keptnTypes = ['sh.keptn.event.deployment.triggered', 'sh.keptn.event.deployment.triggered', 'sh.keptn.event.deployment.finished', 'sh.keptn.event.dev.delivery.triggered', 'sh.keptn.event.deployment', '']
const patterns = ['a', '.1', '-1', 'é', '\u0000', '\u2028', '@', '/', '"\\', '🙂', '\ud800']
const suffixes = ['', '!', '@sha1:0123456789abcdef0123456789abcdef01234567', '+0123456789ab', '!@main', '_@v1']
const uuid = (r: Prng) => `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-a${r.hex(3)}-${r.hex(12)}`

function fluxBase (r: Prng, now: number): Json {
  const svc = r.pick(services)
  const at = r.chance(0.9) ? now - r.int(60_000) : r.pick([now - 3_600_000, now + 600_000, 0])
  return {
    involvedObject: { kind: r.pick(['HelmRelease', 'Kustomization', 'GitRepository']), namespace: `${svc.project}-${svc.stage}`, name: svc.service, apiVersion: 'helm.toolkit.fluxcd.io/v2', uid: uuid(r) },
    severity: r.pick(['info', 'info', 'error', 'trace']),
    timestamp: new Date(at).toISOString().replace(/\.\d+Z$/, 'Z'),
    message: `Helm upgrade succeeded for release ${svc.project}-${svc.stage}/${svc.service}.v${r.int(99)} with chart ${svc.service}@0.3.${r.int(9)}`,
    reason: r.pick(reasons),
    metadata: { revision: r.pick(revisions), 'keptn-project': svc.project, 'keptn-stage': svc.stage, 'keptn-service': svc.service, ...(r.chance(0.3) ? { 'app-version': `0.${r.int(9)}.0` } : {}) },
    reportingController: r.pick(['helm-controller', 'kustomize-controller', 'source-controller']),
    reportingInstance: `helm-controller-${r.hex(9)}`
  }
}

function keptnBase (r: Prng, now: number): Json {
  const svc = r.pick(services)
  return {
    specversion: '1.0',
    id: uuid(r),
    source: 'shipyard-controller',
    type: r.pick(keptnTypes),
    time: new Date(now).toISOString(),
    datacontenttype: 'application/json',
    shkeptncontext: uuid(r),
    shkeptnspecversion: '0.2.4',
    data: {
      ...svc,
      configurationChange: { values: { image: `ghcr.io/podtato-head/${svc.service}:v0.${r.int(9)}.0` } },
      deployment: { deploymentstrategy: 'direct', deploymentURIsLocal: [] },
      labels: { version: `0.${r.int(9)}.0`, gitCommit: r.hex(40), ...(r.chance(0.05) ? { blob: 'x'.repeat(16_000 + r.int(200_000)) } : {}) }
    }
  }
}

// Argo CD's phases and health statuses, and made-up ones: only the real ones may become metric labels.
const phases = ['Succeeded', 'Failed', 'Error', 'Running', 'Terminating']
const healths = ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown']

function argoBase (r: Prng, now: number): Json {
  const svc = r.pick(services)
  const invented = (real: string[]) => r.chance(0.3) ? `Invented${r.hex(6)}` : r.pick(real)
  const at = new Date(now - r.int(60_000)).toISOString().replace(/\.\d+Z$/, 'Z')
  return {
    app: {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: {
        name: svc.service,
        namespace: 'argocd',
        uid: uuid(r),
        labels: { 'keptn.sh/project': svc.project, 'keptn.sh/stage': svc.stage, 'keptn.sh/service': svc.service, ...(r.chance(0.05) ? { blob: 'x'.repeat(16_000 + r.int(200_000)) } : {}) }
      },
      spec: { destination: { namespace: `${svc.project}-${svc.stage}` } },
      status: {
        operationState: { phase: invented(phases), finishedAt: at, syncResult: { revision: r.hex(40) } },
        health: { status: invented(healths) },
        sync: { status: r.pick(['Synced', 'OutOfSync', `Invented${r.hex(4)}`]), revision: r.hex(40) },
        reconciledAt: at,
        summary: { images: [`ghcr.io/podtato-head/${svc.service}:v0.${r.int(9)}.0`] }
      }
    },
    trigger: r.pick(['keptn-on-deployed', 'keptn-on-sync-failed', 'keptn-on-health-degraded', `invented-${r.hex(4)}`])
  }
}

const stringPaths = (b: Json) => {
  const found = paths(b).filter(p => typeof p.reduce<unknown>((at, k) => (at as Json)?.[k], b) === 'string')
  return found.length ? found : [['extra']]
}
const oddStrings = ['\ud800', '\udfff', 'a\u0000b', '\u2028', '../..', '%zz', '%00', ' ', 'Ünïcödé', '🙂', 'a'.repeat(300), 'UPPER', '-', 'x@y@z', 'sha1:', '{}', 'null', '__proto__', 'constructor']

/** Every path to a value inside the object, e.g. ['metadata', 'revision']. */
function paths (value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [prefix]
  const inner = Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))
  return prefix.length ? [prefix, ...inner] : inner
}

function setAt (root: Json, path: string[], value: unknown): void {
  let at: Json = root
  for (const key of path.slice(0, -1)) {
    if (at[key] === null || typeof at[key] !== 'object') at[key] = {}
    at = at[key] as Json
  }
  const last = path[path.length - 1]!
  if (value === undefined) delete at[last]
  else at[last] = value
}

function hugeString (r: Prng, max: number): string {
  const pattern = r.pick(patterns)
  return `1${pattern.repeat(Math.max(1, Math.floor(r.int(max) / pattern.length)))}${r.pick(suffixes)}`
}

const deepMark = '\u0001deep\u0001'
const oddValue = (r: Prng, o: FuzzOptions): unknown => {
  const values = [null, 0, -1, 1.5e308, 1e-320, true, false, [], {}, [1, 'a', null], '', ' ', { nested: { deeper: [] } }, deepMark]
  return r.chance(0.1) ? hugeString(r, o.maxString) : r.pick(values)
}

/** Changes to the parsed object: wrong types, removals, huge strings and maps, nesting. */
const structural: Array<[string, (body: Json, r: Prng, o: FuzzOptions) => void]> = [
  ['wrong type', (b, r, o) => setAt(b, r.pick(paths(b)), oddValue(r, o))],
  ['missing field', (b, r) => setAt(b, r.pick(paths(b)), undefined)],
  ['huge string', (b, r, o) => setAt(b, r.pick(stringPaths(b)), hugeString(r, o.maxString))],
  ['odd string', (b, r) => setAt(b, r.pick(stringPaths(b)), r.pick(oddStrings))],
  ['huge map', (b, r, o) => {
    const count = 1 + r.int(Math.max(1, Math.floor(o.maxBody / 40)))
    setAt(b, r.pick([['metadata'], ['data', 'labels'], ['data', 'configurationChange', 'values'], ['extra']]),
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`key-${i}`, `value-${i}`])))
  }],
  ['deep nesting', (b, r) => setAt(b, r.pick(paths(b)), deepMark)],
  ['numbers for strings', (b, r) => {
    for (const path of paths(b).filter(() => r.chance(0.3))) setAt(b, path, r.pick([42, -0, 3.14, 1e21]))
  }],
  ['array for object', (b, r) => setAt(b, [r.pick(['metadata', 'data', 'involvedObject'])], [{ ...b }])],
  ['unknown fields', b => { b.extra = { a: [1, 2, { b: 'c' }] }; b['keptn-project'] = 'x' }]
]

/** Changes to the bytes: truncation, invalid UTF-8, duplicate and prototype keys, odd documents. */
const textual: Array<[string, (text: string, r: Prng, o: FuzzOptions) => string | Buffer]> = [
  ['truncated', (t, r) => t.slice(0, r.int(t.length))],
  ['flipped bytes', (t, r) => {
    const bytes = Buffer.from(t)
    for (let n = 1 + r.int(4); n > 0; n--) bytes[r.int(bytes.length)] = r.int(256)
    return bytes
  }],
  ['invalid utf-8', (t, r) => {
    const at = r.int(t.length)
    return Buffer.concat([Buffer.from(t.slice(0, at)), Buffer.from(r.pick([[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf]])), Buffer.from(t.slice(at))])
  }],
  ['lone surrogate', (t, r) => {
    const quotes = [...t.matchAll(/"(?=[a-z])/g)].map(m => m.index)
    const at = r.pick(quotes.length ? quotes : [0]) + 1
    return `${t.slice(0, at)}\\ud800${t.slice(at)}`
  }],
  ['duplicate keys', (t, r) => `${t.slice(0, -1)},${r.pick(['"reason":1', '"metadata":"x"', '"type":"sh.keptn.event.deployment.triggered"', '"data":{"project":"p"}', '"involvedObject":null'])}}`],
  ['prototype keys', (t, r) => {
    const key = r.pick(['"__proto__":{"polluted":true}', '"constructor":{"prototype":{"polluted":true}}', '"__proto__":null', '"constructor":{"prototype":null}'])
    const braces = [...t.matchAll(/\{/g)].map(m => m.index)
    const at = r.pick(braces.length ? braces : [0]) + 1
    return `${t.slice(0, at)}${key},${t.slice(at)}`
  }],
  ['byte order mark', t => `\ufeff${t}`],
  ['padding', (t, r, o) => ' \n\t'.repeat(1 + r.int(Math.floor(o.maxBody / 3))) + t],
  ['other document', (_t, r, o) => r.pick(['', 'null', 'true', '0', '-1e999', '"text"', '[]', '{}', '[{}]', '{"a":', 'undefined', '{\'a\':1}', `${'['.repeat(o.maxBody / 2)}${']'.repeat(o.maxBody / 2)}`])]
]

function deep (r: Prng, depth: number): string {
  return r.chance(0.5) ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
}

const fluxTypes = ['application/json', 'application/json; charset=utf-8', 'application/JSON']
const badTypes = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=utf-16', 'image/png']

/** The index-th case of a run. */
export function fuzzCase (index: number, o: FuzzOptions): FuzzCase {
  const r = prng(Math.imul(o.seed, 0x9e3779b1) ^ index)
  const pick = r.next()
  const url = pick < 0.5 ? '/hooks/flux' as const : pick < 0.8 ? '/events/keptn' as const : '/hooks/argocd' as const
  const base = url === '/hooks/flux' ? fluxBase(r, o.now) : url === '/events/keptn' ? keptnBase(r, o.now) : argoBase(r, o.now)
  const labels: string[] = []
  for (let n = r.int(3); n > 0; n--) {
    const [label, mutate] = r.pick(structural)
    mutate(base, r, o)
    labels.push(label)
  }
  let text = JSON.stringify(base).replaceAll(JSON.stringify(deepMark), () => deep(r, 1 + r.int(Math.floor(o.maxBody / 6))))
  let body: string | Buffer = text
  if (r.chance(0.4)) {
    const [label, mutate] = r.pick(textual)
    body = mutate(text, r, o)
    labels.push(label)
  }
  if (index % o.overLimitEvery === o.overLimitEvery - 1) {
    text = JSON.stringify({ ...base, padding: 'x'.repeat(bodyLimits[url]) })
    body = text
    labels.push('over the body limit')
  }
  // Now and then no body at all, and so no content type: no parser runs.
  const noBody = index % 50 === 25
  if (noBody) labels.push('no body')
  const bytes = noBody ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body)
  const headers: Record<string, string> = {}
  const badType = r.chance(0.04)
  headers['content-type'] = badType ? r.pick(badTypes) : url === '/events/keptn' ? r.pick(['application/cloudevents+json', 'application/json']) : r.pick(fluxTypes)
  if (badType) labels.push(`content-type ${headers['content-type']}`)
  if (noBody) delete headers['content-type']
  let expect: number | undefined
  if (bytes.length > bodyLimits[url] && !badType) expect = 413
  if (url === '/hooks/flux') {
    const signing = r.next()
    if (signing < 0.04) {
      labels.push('unsigned')
    } else if (signing < 0.08) {
      headers['x-signature'] = r.pick([signBody(bytes, `${o.key}-wrong`), 'sha256=', 'sha256=zz', `md5=${r.hex(32)}`, `sha256=${r.hex(63)}`, 'garbage', `sha256=${r.hex(64)}`])
      labels.push('bad signature')
    } else {
      headers['x-signature'] = signBody(bytes, o.key, r.pick(['sha256', 'sha256', 'sha256', 'sha512', 'sha384', 'sha224']))
    }
    if (signing < 0.08 && !badType && expect === undefined) expect = 401
  }
  if (url === '/hooks/argocd') {
    if (r.chance(0.04)) {
      headers.authorization = r.pick(['Bearer wrong-token-0123456789', 'Basic x', 'garbage'])
      labels.push('bad token')
      if (!badType && expect === undefined) expect = 401
    } else {
      headers.authorization = `Bearer ${o.argocdToken}`
    }
  }
  return { index, label: labels.join(', ') || 'valid', url, headers, body: bytes, ...(expect ? { expect } : {}) }
}
