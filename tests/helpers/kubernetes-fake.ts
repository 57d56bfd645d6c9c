import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'
import type { AddressInfo } from 'node:net'

// A stand-in for the Kubernetes API server: GET of single objects, LIST of collections (label
// selectors, limit/continue paging), bearer-token auth, and the Status bodies the real server
// answers errors with. Plurals are spelled out here on purpose, so the paths the resolver builds
// are checked against an independent list.
const kinds: Record<string, { plural: string, groupVersions: string[], builtin?: boolean }> = {
  HelmRelease: { plural: 'helmreleases', groupVersions: ['helm.toolkit.fluxcd.io/v2', 'helm.toolkit.fluxcd.io/v2beta2', 'helm.toolkit.fluxcd.io/v2beta1'] },
  Kustomization: { plural: 'kustomizations', groupVersions: ['kustomize.toolkit.fluxcd.io/v1', 'kustomize.toolkit.fluxcd.io/v1beta2'] },
  GitRepository: { plural: 'gitrepositories', groupVersions: ['source.toolkit.fluxcd.io/v1', 'source.toolkit.fluxcd.io/v1beta2'] },
  HelmRepository: { plural: 'helmrepositories', groupVersions: ['source.toolkit.fluxcd.io/v1', 'source.toolkit.fluxcd.io/v1beta2'] },
  HelmChart: { plural: 'helmcharts', groupVersions: ['source.toolkit.fluxcd.io/v1', 'source.toolkit.fluxcd.io/v1beta2'] },
  OCIRepository: { plural: 'ocirepositories', groupVersions: ['source.toolkit.fluxcd.io/v1', 'source.toolkit.fluxcd.io/v1beta2'] },
  Bucket: { plural: 'buckets', groupVersions: ['source.toolkit.fluxcd.io/v1', 'source.toolkit.fluxcd.io/v1beta2'] },
  Application: { plural: 'applications', groupVersions: ['argoproj.io/v1alpha1'] },
  Deployment: { plural: 'deployments', groupVersions: ['apps/v1'], builtin: true },
  ConfigMap: { plural: 'configmaps', groupVersions: ['v1'], builtin: true }
}

export interface KubernetesFake {
  url: string
  /** The path (no query) of every request received, in order, refused ones included. */
  requests: string[]
  /**
   * Stores an object (replacing any at the same path) and returns its API path. `body` gives its
   * spec and status, shaped as the owning controller's Go types marshal them (e.g. helm-controller
   * api/v2 HelmReleaseSpec/HelmReleaseStatus), and `metadata.generation` (default 1) and
   * `metadata.annotations`. Every call bumps the global resourceVersion, stored in the object's
   * `metadata.resourceVersion`.
   */
  setObject (apiVersion: string, kind: string, namespace: string, name: string, labels?: Record<string, string>, body?: { spec?: object, status?: object, generation?: number, annotations?: Record<string, string> }): string
  /** Removes an object (no-op when absent); bumps the global resourceVersion like the real store. */
  deleteObject (apiVersion: string, kind: string, namespace: string, name: string): void
  /** How many LIST requests were received (GETs of a collection path), refused ones included, like `requests`. */
  listCalls (): number
  /** How many objects are stored, over all kinds and namespaces. */
  objectCount (): number
  /** Answer 403 for this path (an object's or a collection's) from now on. */
  forbid (path: string): void
  setToken (token: string): void
  /** Hold every answer back by `ms` (0 to stop). */
  delay (ms: number): void
  /** Stop listening and drop connections: clients get connection refused. */
  goDown (): Promise<void>
  close (): Promise<void>
}

interface StoredObject {
  apiVersion: string
  kind: string
  metadata: { name: string, namespace: string, labels?: Record<string, string> } & Record<string, unknown>
  spec: object
  status?: object
}

/** One apiVersion+plural: keys `namespace/name` kept sorted (byte order, as etcd orders keys). */
interface Collection { kind: string, builtin: boolean, keys: string[], byKey: Map<string, StoredObject> }

function status (res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code }))
}

/** First index whose key is >= `key` (`keys` sorted). */
function lowerBound (keys: string[], key: string): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (keys[mid]! < key) lo = mid + 1
    else hi = mid
  }
  return lo
}

// ---- label selectors: the grammar of k8s.io/apimachinery/pkg/labels, without `>`/`<` ----

interface Requirement { key: string, op: 'in' | 'notin' | 'exists' | '!', values: Set<string> }

class SelectorError extends Error {}

const labelName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

function validKey (key: string): string {
  const parts = key.split('/')
  const name = parts.length === 2 ? parts[1]! : parts[0]!
  const prefix = parts.length === 2 ? parts[0]! : undefined
  const ok = parts.length <= 2 && name.length <= 63 && labelName.test(name) &&
    (prefix === undefined || (prefix.length <= 253 && dnsSubdomain.test(prefix)))
  if (!ok) throw new SelectorError(`key: Invalid value: "${key}": must be a qualified name`)
  return key
}

function validValue (value: string): string {
  if (value.length > 63 || (value !== '' && !labelName.test(value))) throw new SelectorError(`values[0]: Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'`)
  return value
}

/**
 * Tokens: identifiers (`in`/`notin` included, the parser tells them apart), operators, and a last
 * token with empty text for the end. No identifier has empty text or holds an operator character.
 */
function lex (selector: string): Array<{ id: boolean, text: string }> {
  const tokens: Array<{ id: boolean, text: string }> = []
  let i = 0
  while (i < selector.length) {
    const c = selector[i]!
    if (/\s/.test(c)) { i++; continue }
    const two = selector.slice(i, i + 2)
    if (two === '!=' || two === '==') { tokens.push({ id: false, text: two }); i += 2; continue }
    if ('!=(),<>'.includes(c)) { tokens.push({ id: false, text: c }); i++; continue }
    let j = i
    while (j < selector.length && !/[\s!=(),<>]/.test(selector[j]!)) j++
    tokens.push({ id: true, text: selector.slice(i, j) })
    i = j
  }
  tokens.push({ id: false, text: '' })
  return tokens
}

function parseLabelSelector (selector: string): Requirement[] {
  const tokens = lex(selector)
  let pos = 0
  const peek = () => tokens[pos]!
  const next = () => tokens[Math.min(pos++, tokens.length - 1)]!
  const found = (t: { text: string }, expected: string) => new SelectorError(`found '${t.text}', expected: ${expected}`)
  const key = (t: { id: boolean, text: string }) => {
    if (!t.id || t.text === 'in' || t.text === 'notin') throw found(t, 'identifier')
    return validKey(t.text)
  }

  function requirement (): Requirement {
    const first = next()
    if (first.text === '!') return { key: key(next()), op: '!', values: new Set() }
    const k = key(first)
    const op = peek()
    if (op.text === '' || op.text === ',') return { key: k, op: 'exists', values: new Set() }
    next()
    if (op.text === '=' || op.text === '==' || op.text === '!=') {
      const v = peek()
      let value = ''
      if (v.id) value = next().text
      else if (v.text !== '' && v.text !== ',') throw found(v, 'identifier')
      return { key: k, op: op.text === '!=' ? 'notin' : 'in', values: new Set([validValue(value)]) }
    }
    if (op.text === 'in' || op.text === 'notin') {
      const open = next()
      if (open.text !== '(') throw found(open, "'('")
      if (peek().text === ')') throw new SelectorError(`for '${op.text}' operator, values set can't be empty`)
      const values = new Set<string>()
      let wantValue = true
      for (;;) {
        const t = next()
        // As the real parser: `(,a)`, `(a,,b)` and `(a,)` hold the empty value too.
        if (t.id && wantValue) {
          values.add(validValue(t.text))
          wantValue = false
        } else if (t.text === ',' || t.text === ')') {
          if (wantValue) values.add('')
          if (t.text === ')') break
          wantValue = true
        } else throw found(t, "',' or ')'")
      }
      return { key: k, op: op.text, values }
    }
    if (op.text === '<' || op.text === '>') throw new SelectorError(`operator '${op.text}' is not supported by this fake`)
    throw found(op, "'=', '==', '!=', 'in', 'notin'")
  }

  const requirements: Requirement[] = []
  if (peek().text === '') return requirements
  for (;;) {
    requirements.push(requirement())
    const t = next()
    if (t.text === '') return requirements
    if (t.text !== ',') throw found(t, "',' or end of string")
  }
}

function matches (requirements: Requirement[], labels: Record<string, string> = {}): boolean {
  for (const { key, op, values } of requirements) {
    const has = Object.hasOwn(labels, key)
    if (op === 'exists' && !has) return false
    if (op === '!' && has) return false
    if (op === 'in' && !(has && values.has(labels[key]!))) return false
    if (op === 'notin' && has && values.has(labels[key]!)) return false
  }
  return true
}

// ---- continue tokens: base64url JSON, shaped as the apiserver's etcd3 store encodes them ----

function encodeContinue (rv: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${lastKey}\u0000` })).toString('base64url')
}

function decodeContinue (token: string): { rv: number, start: string } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: unknown, rv?: unknown, start?: unknown }
    if (parsed.v !== 'meta.k8s.io/v1' || !Number.isInteger(parsed.rv) || (parsed.rv as number) <= 0 || typeof parsed.start !== 'string' || parsed.start === '') return undefined
    return { rv: parsed.rv as number, start: parsed.start }
  } catch {
    return undefined
  }
}

/** A collection path: `/api/v1[/namespaces/{ns}]/{plural}` or `/apis/{g}/{v}[/namespaces/{ns}]/{plural}`. */
function listTarget (path: string): { apiVersion: string, plural: string, namespace?: string } | undefined {
  const s = path.split('/').slice(1)
  let apiVersion: string
  let rest: string[]
  if (s[0] === 'api' && s[1]) {
    apiVersion = s[1]
    rest = s.slice(2)
  } else if (s[0] === 'apis' && s[1] && s[2]) {
    apiVersion = `${s[1]}/${s[2]}`
    rest = s.slice(3)
  } else return undefined
  if (rest.length === 1 && rest[0]) return { apiVersion, plural: rest[0] }
  if (rest.length === 3 && rest[0] === 'namespaces' && rest[1] && rest[2]) return { apiVersion, plural: rest[2], namespace: rest[1] }
  return undefined
}

export async function startKubernetesFake (opts: { token: string, tls?: { key: string, cert: string } }): Promise<KubernetesFake> {
  const objects = new Map<string, StoredObject>()
  const collections = new Map<string, Collection>()
  for (const [kind, { plural, groupVersions, builtin }] of Object.entries(kinds)) {
    for (const gv of groupVersions) collections.set(`${gv} ${plural}`, { kind, builtin: builtin ?? false, keys: [], byKey: new Map() })
  }
  const forbidden = new Set<string>()
  let token = opts.token
  let delayMs = 0
  let resourceVersion = 0
  let lists = 0

  function locate (apiVersion: string, kind: string, namespace: string, name: string) {
    const info = kinds[kind]
    if (!info) throw new Error(`kubernetes fake: add a plural for ${kind}`)
    const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`
    const collectionId = `${apiVersion} ${info.plural}`
    let collection = collections.get(collectionId)
    if (!collection) {
      collection = { kind, builtin: info.builtin ?? false, keys: [], byKey: new Map() }
      collections.set(collectionId, collection)
    }
    return { path: `${prefix}/namespaces/${namespace}/${info.plural}/${name}`, collection, key: `${namespace}/${name}` }
  }

  function list (req: IncomingMessage, res: ServerResponse, query: URLSearchParams, target: { apiVersion: string, plural: string, namespace?: string }): void {
    const collection = collections.get(`${target.apiVersion} ${target.plural}`)
    if (!collection) return status(res, 404, 'NotFound', 'the server could not find the requested resource')
    let requirements: Requirement[]
    try {
      requirements = parseLabelSelector(query.get('labelSelector') ?? '')
    } catch (err) {
      return status(res, 400, 'BadRequest', `unable to parse requirement: ${(err as Error).message}`)
    }
    const limitParam = query.get('limit')
    const limit = limitParam === null || limitParam === '' ? 0 : Number(limitParam)
    if (!Number.isInteger(limit)) return status(res, 400, 'BadRequest', `limit: Invalid value: "${limitParam}": must be an integer`)
    const continueParam = query.get('continue')
    let listRv = resourceVersion
    const { keys, byKey } = collection
    const nsPrefix = target.namespace === undefined ? '' : `${target.namespace}/`
    let i = lowerBound(keys, nsPrefix)
    if (continueParam) {
      const decoded = decodeContinue(continueParam)
      if (!decoded) return status(res, 400, 'BadRequest', 'continue key is not valid: it was not issued by this server')
      // All pages of one list carry the first page's resourceVersion; unlike the real server's
      // snapshot read, the items are today's.
      listRv = decoded.rv
      i = Math.max(i, lowerBound(keys, decoded.start))
    }
    const items: StoredObject[] = []
    let lastKey = ''
    let more = false
    for (; i < keys.length; i++) {
      const key = keys[i]!
      if (!key.startsWith(nsPrefix)) break
      const object = byKey.get(key)!
      if (!matches(requirements, object.metadata.labels)) continue
      if (limit > 0 && items.length === limit) { more = true; break }
      items.push(object)
      lastKey = key
    }
    const partial = /as=PartialObjectMetadataList/.test(req.headers.accept ?? '')
    const metadata = { resourceVersion: String(listRv), ...(more ? { continue: encodeContinue(listRv, lastKey) } : {}) }
    res.writeHead(200, { 'content-type': 'application/json' })
    if (partial) {
      res.end(JSON.stringify({ kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata, items: items.map(o => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata })) }))
      return
    }
    // Items of built-in types' lists carry no apiVersion/kind (custom resources' items do).
    const shown = collection.builtin ? items.map(o => ({ metadata: o.metadata, spec: o.spec, ...(o.status ? { status: o.status } : {}) })) : items
    res.end(JSON.stringify({ apiVersion: target.apiVersion, kind: `${collection.kind}List`, metadata, items: shown }))
  }

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://k8s.invalid')
    const path = url.pathname
    fake.requests.push(path)
    const target = req.method === 'GET' ? listTarget(path) : undefined
    if (target) lists++
    if (delayMs > 0) await sleep(delayMs, undefined, { ref: false })
    if (req.headers.authorization !== `Bearer ${token}`) return status(res, 401, 'Unauthorized', 'Unauthorized')
    if (req.method !== 'GET') return status(res, 405, 'MethodNotAllowed', 'only GET is served here')
    if (forbidden.has(path)) return status(res, 403, 'Forbidden', `${path} is forbidden: User "system:serviceaccount:keptn:bridge" cannot ${target ? 'list' : 'get'} it`)
    if (target) return list(req, res, url.searchParams, target)
    const object = objects.get(path)
    if (!object) return status(res, 404, 'NotFound', `${path} not found`)
    res.writeHead(200, { 'content-type': 'application/json' })
    // Asked for metadata only (PartialObjectMetadata), the API server sends no spec or status.
    const partial = /as=PartialObjectMetadata/.test(req.headers.accept ?? '')
    res.end(JSON.stringify(partial ? { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata } : object))
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse) => { handle(req, res).catch(() => res.destroy()) }
  const server: Server = opts.tls ? createHttpsServer(opts.tls, onRequest) : createHttpServer(onRequest)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  function stop (): Promise<void> {
    return new Promise(resolve => {
      if (!server.listening) return resolve()
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }

  const fake: KubernetesFake = {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests: [],
    setObject (apiVersion, kind, namespace, name, labels, body) {
      const { path, collection, key } = locate(apiVersion, kind, namespace, name)
      resourceVersion++
      const metadata = {
        name,
        namespace,
        uid: `uid-${name}`,
        resourceVersion: String(resourceVersion),
        generation: body?.generation ?? 1,
        ...(labels ? { labels } : {}),
        ...(body?.annotations ? { annotations: body.annotations } : {})
      }
      const object: StoredObject = { apiVersion, kind, metadata, spec: body?.spec ?? {}, ...(body?.status ? { status: body.status } : {}) }
      objects.set(path, object)
      if (!collection.byKey.has(key)) collection.keys.splice(lowerBound(collection.keys, key), 0, key)
      collection.byKey.set(key, object)
      return path
    },
    deleteObject (apiVersion, kind, namespace, name) {
      const { path, collection, key } = locate(apiVersion, kind, namespace, name)
      if (!objects.delete(path)) return
      resourceVersion++
      collection.byKey.delete(key)
      collection.keys.splice(lowerBound(collection.keys, key), 1)
    },
    listCalls: () => lists,
    objectCount: () => objects.size,
    forbid (path) { forbidden.add(path) },
    setToken (next) { token = next },
    delay (ms) { delayMs = ms },
    goDown: stop,
    close: stop
  }
  return fake
}
