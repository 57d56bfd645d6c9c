import { readFileSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { Agent } from 'undici'
import { requestText } from '../http.js'
import type { Log } from '../log.js'
import type { ObjectRef } from '../types.js'
import type { Mapping, Resolver } from './types.js'
import { defaultLabelKeys, mappingFromLabels, type LabelKeys } from './labels-resolver.js'
import { collectionPath, objectPath } from './kubernetes-paths.js'

export interface KubernetesResolverOptions {
  apiUrl: string
  tokenFile?: string
  caFile?: string
  labelKeys?: LabelKeys & { sequence?: string }
  ttlMs?: number
  negativeTtlMs?: number
  timeoutMs?: number
  /** At most this often the token file is checked for rotation (a 401 checks at once). */
  tokenCheckMs?: number
  logger: Log
  now?: () => number
  /** Each failed read (counted in kgb_kubernetes_errors_total). */
  onError?: (operation: 'labels' | 'object' | 'list', cause: string) => void
}

export type KubernetesResolver = Resolver & {
  /**
   * The whole object as the API server has it now (spec and status), never cached; undefined when
   * it cannot be read (the failure is logged, at most every 10 minutes per cause and path).
   */
  getObject (ref: ObjectRef): Promise<Record<string, unknown> | undefined>
  /**
   * Every object of a kind (all namespaces, or one) matching a label selector, in pages of 500: one
   * request per page. Fails with the cause (e.g. '404' when the kind is not served, '403').
   */
  list (apiVersion: string, plural: string, labelSelector?: string, namespace?: string): Promise<{ items: Array<Record<string, unknown>> } | { cause: string, message: string }>
  close (): Promise<void>
}

const LIST_PAGE = 500
const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount'
const MAX_ENTRIES = 10_000
const LOG_EVERY_MS = 10 * 60_000
// Metadata only, so a HelmRelease with large values is not downloaded; plain JSON as the fallback.
const ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json'

type Lookup = { labels: Record<string, string> } | { cause: string, message: string }

/**
 * The in-cluster API address Kubernetes puts into every pod's environment. KUBERNETES_API_URL,
 * which takes precedence, is read and checked by app/config.ts.
 */
export function kubernetesApiUrlFromEnv (env: { KUBERNETES_SERVICE_HOST?: string, KUBERNETES_SERVICE_PORT?: string }): string | undefined {
  const host = env.KUBERNETES_SERVICE_HOST?.trim()
  const port = env.KUBERNETES_SERVICE_PORT?.trim()
  if (!host || !port) return undefined
  return `https://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`
}

/** Map.set that forgets the oldest entry beyond MAX_ENTRIES. */
function remember<V> (map: Map<string, V>, key: string, value: V): void {
  map.delete(key)
  map.set(key, value)
  if (map.size > MAX_ENTRIES) map.delete(map.keys().next().value!)
}

function tokenReader (file: string, checkMs: number, now: () => number) {
  let token: string | undefined
  let stamp = ''
  let checkedAt = -Infinity
  let reading: Promise<string | undefined> | undefined

  async function refresh (force: boolean): Promise<string | undefined> {
    try {
      const st = await stat(file)
      const next = `${st.ino}:${st.mtimeMs}:${st.size}`
      if (force || next !== stamp) token = (await readFile(file, 'utf8')).trim() || undefined
      stamp = next
    } catch {
      // No token file (kubectl proxy, or a pod without a service account): go without; 401s are logged.
      token = undefined
      stamp = ''
    }
    return token
  }

  return function current (force = false): Promise<string | undefined> {
    if (reading) return reading
    if (!force && now() - checkedAt < checkMs) return Promise.resolve(token)
    checkedAt = now()
    reading = refresh(force).finally(() => { reading = undefined })
    return reading
  }
}

function statusMessage (text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown }
    if (typeof body.message === 'string' && body.message !== '') return body.message.slice(0, 300)
  } catch {}
  return text.trim().slice(0, 300)
}

export function createKubernetesResolver (opts: KubernetesResolverOptions): KubernetesResolver {
  const now = opts.now ?? Date.now
  const base = opts.apiUrl.replace(/\/+$/, '')
  const ttlMs = opts.ttlMs ?? 60_000
  const negativeTtlMs = opts.negativeTtlMs ?? 10_000
  const timeoutMs = opts.timeoutMs ?? 2_000
  const keys = { sequence: 'keptn.sh/sequence', ...(opts.labelKeys ?? defaultLabelKeys) }
  const token = tokenReader(opts.tokenFile ?? `${SERVICE_ACCOUNT}/token`, opts.tokenCheckMs ?? 30_000, now)
  const cache = new Map<string, { mapping: Mapping | undefined, expiresAt: number }>()
  const inflight = new Map<string, Promise<Mapping | undefined>>()
  const lastLogged = new Map<string, number>()

  function report (level: 'warn' | 'debug', key: string, obj: object, msg: string): void {
    const last = lastLogged.get(key)
    if (last !== undefined && now() - last < LOG_EVERY_MS) return
    remember(lastLogged, key, now())
    opts.logger[level](obj, msg)
  }

  let ca: string | undefined
  if (base.startsWith('https:')) {
    const caFile = opts.caFile ?? `${SERVICE_ACCOUNT}/ca.crt`
    try {
      ca = readFileSync(caFile, 'utf8')
    } catch (err) {
      report('warn', 'ca', { caFile, err: (err as Error).message }, 'Kubernetes CA file unreadable; trusting the system CAs')
    }
  }
  const agent = new Agent({ connect: { timeout: timeoutMs, ...(ca ? { ca } : {}) }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })

  async function get (path: string, bearer: string | undefined, accept: string): Promise<{ status: number, text: string }> {
    const headers: Record<string, string> = bearer ? { accept, authorization: `Bearer ${bearer}` } : { accept }
    return await requestText(base + path, { headers, dispatcher: agent, timeoutMs })
  }

  /** GETs one object (metadata only, or whole), retrying once with a re-read token after a 401. */
  async function fetchObject (path: string, accept: string): Promise<{ object: Record<string, unknown> } | { cause: string, message: string }> {
    let res
    try {
      const bearer = await token()
      res = await get(path, bearer, accept)
      if (res.status === 401) {
        const fresh = await token(true)
        if (fresh !== bearer) res = await get(path, fresh, accept)
      }
    } catch (err) {
      const error = err as Error & { code?: string }
      if (error.name === 'TimeoutError' || /TIMEOUT/.test(error.code ?? '')) return { cause: 'timeout', message: `no answer within ${timeoutMs} ms` }
      return { cause: 'unreachable', message: error.message || error.code || error.name }
    }
    if (res.status !== 200) return { cause: String(res.status), message: statusMessage(res.text) }
    try {
      const object = JSON.parse(res.text) as unknown
      if (typeof object === 'object' && object !== null && !Array.isArray(object)) return { object: object as Record<string, unknown> }
    } catch {}
    return { cause: 'bad-body', message: 'the answer is not a JSON object' }
  }

  async function fetchLabels (path: string): Promise<Lookup> {
    const found = await fetchObject(path, ACCEPT)
    if ('cause' in found) return found
    const labels = (found.object as { metadata?: { labels?: Record<string, string> } }).metadata?.labels
    return { labels: labels ?? {} }
  }

  async function lookup (path: string, object: ObjectRef): Promise<Mapping | undefined> {
    const found = await fetchLabels(path)
    const where = { object: { kind: object.kind, namespace: object.namespace, name: object.name }, path }
    let mapping: Mapping | undefined
    if ('cause' in found) {
      opts.onError?.('labels', found.cause)
      report('warn', `${found.cause}|${path}`, { ...where, cause: found.cause, reason: found.message }, 'Kubernetes lookup failed; mapping without the object\'s labels')
    } else {
      mapping = mappingFromLabels(found.labels, keys, 'kubernetes')
      const partial = [keys.project, keys.stage, keys.service].some(k => k in found.labels)
      if (!mapping && partial) report('warn', `labels|${path}`, { ...where, labelKeys: keys }, 'object has incomplete or invalid Keptn labels')
    }
    remember(cache, path, { mapping, expiresAt: now() + (mapping ? ttlMs : negativeTtlMs) })
    return mapping
  }

  return {
    name: 'kubernetes',
    async resolve (input) {
      // Payloads that carry labels (Argo CD) were already mapped from them; Flux never sends any.
      if (input.labels) return undefined
      let path: string
      try {
        path = objectPath(input.object)
      } catch (err) {
        report('debug', `path|${input.object.kind}`, { object: input.object, err: (err as Error).message }, 'no Kubernetes API path for this object')
        return undefined
      }
      const hit = cache.get(path)
      if (hit && hit.expiresAt > now()) return hit.mapping
      let pending = inflight.get(path)
      if (!pending) {
        pending = lookup(path, input.object).finally(() => inflight.delete(path))
        inflight.set(path, pending)
      }
      return await pending
    },
    async getObject (ref) {
      let path: string
      try {
        path = objectPath(ref)
      } catch {
        return undefined
      }
      const found = await fetchObject(path, 'application/json')
      if ('object' in found) return found.object
      opts.onError?.('object', found.cause)
      report('warn', `object|${found.cause}|${path}`, { object: { kind: ref.kind, namespace: ref.namespace, name: ref.name }, path, cause: found.cause, reason: found.message },
        'could not read the object from the Kubernetes API; its event\'s own outcome stands')
      return undefined
    },
    async list (apiVersion, plural, labelSelector, namespace) {
      let path: string
      try {
        path = collectionPath(apiVersion, plural, namespace)
      } catch (err) {
        return { cause: 'bad-path', message: (err as Error).message }
      }
      const items: Array<Record<string, unknown>> = []
      let next: string | undefined
      do {
        const query = new URLSearchParams({ limit: String(LIST_PAGE) })
        if (labelSelector) query.set('labelSelector', labelSelector)
        if (next) query.set('continue', next)
        const found = await fetchObject(`${path}?${query}`, 'application/json')
        if ('cause' in found) {
          // A kind the cluster does not serve (404) is not an error: observation skips it.
          if (found.cause !== '404') opts.onError?.('list', found.cause)
          return found
        }
        const page = found.object as { items?: unknown, metadata?: { continue?: unknown } }
        if (!Array.isArray(page.items)) return { cause: 'bad-body', message: 'a list without items' }
        items.push(...page.items as Array<Record<string, unknown>>)
        next = typeof page.metadata?.continue === 'string' && page.metadata.continue !== '' ? page.metadata.continue : undefined
      } while (next)
      return { items }
    },
    async close () {
      cache.clear()
      await agent.close()
    }
  }
}
