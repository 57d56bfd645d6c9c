import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'
import type { AddressInfo } from 'node:net'

// A stand-in for the Kubernetes API server: GET of single objects, bearer-token auth, and the
// Status bodies the real server answers errors with. Plurals are spelled out here on purpose, so
// the paths the resolver builds are checked against an independent list.
const plurals: Record<string, string> = {
  HelmRelease: 'helmreleases',
  Kustomization: 'kustomizations',
  GitRepository: 'gitrepositories',
  HelmRepository: 'helmrepositories',
  HelmChart: 'helmcharts',
  OCIRepository: 'ocirepositories',
  Bucket: 'buckets',
  Deployment: 'deployments',
  ConfigMap: 'configmaps'
}

export interface KubernetesFake {
  url: string
  /** The path of every request received, in order, refused ones included. */
  requests: string[]
  /**
   * Stores an object (replacing any at the same path) and returns its API path. `body` gives its
   * spec and status, shaped as the owning controller's Go types marshal them (e.g. helm-controller
   * api/v2 HelmReleaseSpec/HelmReleaseStatus).
   */
  setObject (apiVersion: string, kind: string, namespace: string, name: string, labels?: Record<string, string>, body?: { spec?: object, status?: object }): string
  /** Answer 403 for this path from now on. */
  forbid (path: string): void
  setToken (token: string): void
  /** Hold every answer back by `ms` (0 to stop). */
  delay (ms: number): void
  /** Stop listening and drop connections: clients get connection refused. */
  goDown (): Promise<void>
  close (): Promise<void>
}

function status (res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code }))
}

export async function startKubernetesFake (opts: { token: string, tls?: { key: string, cert: string } }): Promise<KubernetesFake> {
  const objects = new Map<string, object>()
  const forbidden = new Set<string>()
  let token = opts.token
  let delayMs = 0

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://k8s.invalid').pathname
    fake.requests.push(path)
    if (delayMs > 0) await sleep(delayMs, undefined, { ref: false })
    if (req.headers.authorization !== `Bearer ${token}`) return status(res, 401, 'Unauthorized', 'Unauthorized')
    if (req.method !== 'GET') return status(res, 405, 'MethodNotAllowed', 'only GET is served here')
    if (forbidden.has(path)) return status(res, 403, 'Forbidden', `${path} is forbidden: User "system:serviceaccount:keptn:bridge" cannot get it`)
    const object = objects.get(path) as { metadata?: object } | undefined
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
      const plural = plurals[kind]
      if (!plural) throw new Error(`kubernetes fake: add a plural for ${kind}`)
      const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`
      const path = `${prefix}/namespaces/${namespace}/${plural}/${name}`
      objects.set(path, { apiVersion, kind, metadata: { name, namespace, uid: `uid-${name}`, ...(labels ? { labels } : {}) }, spec: body?.spec ?? {}, ...(body?.status ? { status: body.status } : {}) })
      return path
    },
    forbid (path) { forbidden.add(path) },
    setToken (next) { token = next },
    delay (ms) { delayMs = ms },
    goDown: stop,
    close: stop
  }
  return fake
}
