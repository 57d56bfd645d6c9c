// What tests/deploy/manifests.test.ts (no helm, part of `npm test`) and tests/peers/helm.test.ts
// (real helm, `npm run test:peers`) share: reading the YAML of deploy/, and the checks every
// rendering of the chart must pass, whether committed (deploy/manifests) or fresh from helm.
import type { Test } from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments as yamlAll } from 'yaml'

/** A parsed Kubernetes object (loosely typed: tests walk into it freely). */
export type Doc = Record<string, any>

/** Every non-empty document of a multi-document YAML text; a YAML error throws, naming the file. */
export function parseAllDocuments (text: string, name: string): Doc[] {
  // Kubernetes reads YAML 1.1, where 0440 is octal; YAML 1.2 (this parser) reads 440. Refuse the
  // ambiguity rather than compare different numbers.
  const octal = /^[^#\n]*:\s+0[0-7]+\s*(#.*)?$/m.exec(text)
  if (octal) throw new Error(`${name}: "${octal[0].trim()}" is octal in YAML 1.1 but decimal in YAML 1.2; write it in decimal`)
  const docs = yamlAll(text)
  const error = docs.flatMap(doc => doc.errors)[0]
  if (error) throw new Error(`${name}: ${error.message}`)
  const values = docs.map(doc => doc.toJS() as unknown).filter(value => value !== null && value !== undefined)
  if (values.some(value => typeof value !== 'object' || Array.isArray(value))) throw new Error(`${name}: a document is not a map`)
  return values as Doc[]
}

// The variables the service reads (README "Configuration"). POD_NAMESPACE: app/config.ts
// reports it when registering as a Keptn uniform; the chart sets it from the downward API.
export const knownEnv = new Set([
  'PORT', 'HOST', 'LOG_LEVEL', 'NODE_ENV', 'FLUX_HMAC_KEYS', 'FLUX_WEBHOOK_TOKEN', 'ARGOCD_WEBHOOK_TOKEN',
  'REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS', 'REDIS_SENTINEL_NAME', 'REDIS_PASSWORD',
  'REDIS_USERNAME', 'REDIS_SENTINEL_PASSWORD', 'REDIS_TLS', 'REDIS_TLS_CA_FILE', 'REDIS_TLS_CERT_FILE', 'REDIS_TLS_KEY_FILE', 'KEY_PREFIX', 'KEPTN_API_URL', 'KEPTN_API_TOKEN', 'KEPTN_POLL_INTERVAL',
  'KEPTN_REGISTER', 'DEPLOYMENT_TIMEOUT', 'TRIGGER_SEQUENCE', 'MAPPING_FILE', 'KUBERNETES_API_URL',
  'KUBERNETES_TOKEN_FILE', 'KUBERNETES_CA_FILE', 'KEPTN_PROJECT_LABEL', 'KEPTN_STAGE_LABEL',
  'KEPTN_SERVICE_LABEL', 'MAX_EVENT_AGE', 'MAX_CLOCK_SKEW', 'GIT_TARGETS', 'GIT_WORKDIR',
  'GIT_TOKEN_FILE', 'GIT_SSH_KEY_FILE', 'FLUX_RECEIVER_URL', 'FLUX_RECEIVER_TOKEN', 'POD_NAMESPACE', 'OBSERVE_INTERVAL', 'OBSERVE_NAMESPACES',
  'KEPTN_PROJECTS', 'VERSION_MATCH', 'EARLY_RESULT_WINDOW', 'REDIS_WAIT_REPLICAS', 'STATUS_TOKEN', 'MAX_EVENT_LOOP_DELAY',
  'TLS_CERT_FILE', 'TLS_KEY_FILE', 'TLS_RELOAD_INTERVAL'
])
const secretEnv = ['FLUX_HMAC_KEYS', 'FLUX_WEBHOOK_TOKEN', 'ARGOCD_WEBHOOK_TOKEN', 'KEPTN_API_TOKEN', 'STATUS_TOKEN', 'REDIS_URL']

export const byKind = (docs: Doc[], kind: string): Doc[] => docs.filter(d => d.kind === kind)
export const deploymentOf = (docs: Doc[]): Doc => {
  const found = byKind(docs, 'Deployment')
  if (found.length !== 1) throw new Error(`expected one Deployment, found ${found.length}`)
  return found[0]!
}
export const containerOf = (docs: Doc[]): Doc => deploymentOf(docs).spec.template.spec.containers[0]

/** The chart with its defaults (release keptn-gitops-bridge, namespace keptn): probed, locked down, secrets from the Secret. */
export function checkDeployment (t: Test, docs: Doc[]) {
  const deployment = deploymentOf(docs)
  const pod = deployment.spec.template.spec
  const container = containerOf(docs)
  t.equal(deployment.metadata.namespace, 'keptn')
  t.same(container.ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }])
  t.equal(container.readinessProbe.httpGet.path, '/readyz')
  t.equal(container.livenessProbe.httpGet.path, '/healthz')
  t.equal(container.readinessProbe.httpGet.port, 'http')
  t.equal(container.livenessProbe.httpGet.port, 'http')
  t.equal(pod.securityContext.runAsNonRoot, true, 'pod runAsNonRoot')
  t.equal(container.securityContext.runAsNonRoot, true, 'container runAsNonRoot')
  t.equal(container.securityContext.runAsUser, 1000, 'uid 1000 (the image user)')
  t.equal(container.securityContext.readOnlyRootFilesystem, true)
  t.equal(container.securityContext.allowPrivilegeEscalation, false)
  t.same(container.securityContext.capabilities.drop, ['ALL'])
  t.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault')
  t.ok(container.resources.requests.cpu && container.resources.requests.memory, 'requests')
  t.ok(container.resources.limits.memory, 'memory limit')
  const tmp = pod.volumes.find((v: Doc) => v.name === 'tmp')
  t.ok(tmp?.emptyDir, '/tmp is an emptyDir')
  t.ok(container.volumeMounts.some((m: Doc) => m.name === 'tmp' && m.mountPath === '/tmp'), '/tmp is mounted')
  const env = new Map<string, Doc>(container.env.map((e: Doc) => [e.name, e]))
  for (const key of secretEnv) {
    const ref = env.get(key)?.valueFrom?.secretKeyRef
    t.same({ name: ref?.name, key: ref?.key }, { name: 'keptn-gitops-bridge', key }, `${key} comes from the Secret`)
    t.notOk(env.get(key)?.value, `${key} has no literal value`)
  }
  t.notOk(env.get('REDIS_URL')?.valueFrom?.secretKeyRef?.optional, 'REDIS_URL is required with 2 replicas')
  t.equal(env.get('GIT_WORKDIR')?.value, '/tmp/kgb-git', 'Git working copies live on the /tmp emptyDir')
  t.equal(env.get('NODE_ENV')?.value, 'production')
  t.equal(env.get('PORT')?.value, '8080')
  t.equal(deployment.spec.template.spec.serviceAccountName, byKind(docs, 'ServiceAccount')[0]?.metadata.name)
}

/** RBAC grants only get, only on the Flux kinds, to the bridge's ServiceAccount. */
export function checkRbac (t: Test, docs: Doc[], opts: { observe?: boolean } = {}) {
  const roles = [...byKind(docs, 'ClusterRole'), ...byKind(docs, 'Role')]
  t.ok(roles.length > 0)
  for (const role of roles) checkRules(t, role, opts)
  const binding = byKind(docs, 'ClusterRoleBinding')[0]!
  t.equal(binding.roleRef.name, roles[0]!.metadata.name)
  t.same(binding.subjects, [{ kind: 'ServiceAccount', name: 'keptn-gitops-bridge', namespace: 'keptn' }])
}

/**
 * Exactly what the bridge uses: `get` on the Flux kinds whose labels it reads, and with observation
 * on (OBSERVE_INTERVAL, the default) `list` on the three kinds it observes. No watch, no write.
 */
export function checkRules (t: Test, role: Doc, { observe = true }: { observe?: boolean } = {}) {
  const granted: Record<string, string[]> = {}
  for (const rule of role.rules) {
    for (const group of rule.apiGroups) {
      for (const resource of rule.resources) granted[`${resource}.${group}`] = [...(granted[`${resource}.${group}`] ?? []), ...rule.verbs].sort()
    }
  }
  const observed = observe ? ['get', 'list'] : ['get']
  t.same(granted, {
    'helmreleases.helm.toolkit.fluxcd.io': observed,
    'kustomizations.kustomize.toolkit.fluxcd.io': observed,
    'gitrepositories.source.toolkit.fluxcd.io': ['get'],
    'ocirepositories.source.toolkit.fluxcd.io': ['get'],
    'helmcharts.source.toolkit.fluxcd.io': ['get'],
    'helmrepositories.source.toolkit.fluxcd.io': ['get'],
    'buckets.source.toolkit.fluxcd.io': ['get'],
    ...(observe ? { 'applications.argoproj.io': ['list'] } : {})
  }, `${role.kind} ${role.metadata.name}: exactly these kinds and verbs`)
}

/** The environment variable names the containers of these documents set. */
export function envNames (docs: Doc[]): string[] {
  return byKind(docs, 'Deployment').flatMap(d => d.spec.template.spec.containers.flatMap((c: Doc) => c.env.map((e: Doc) => e.name as string)))
}

/** The repository root and its deploy/ folder. */
export const root = fileURLToPath(new URL('../../../', import.meta.url))
export const deploy = join(root, 'deploy')
export const read = (path: string) => readFileSync(join(root, path), 'utf8')
export const docsOf = (path: string): Doc[] => parseAllDocuments(read(path), path)
export const one = (path: string): Doc => {
  const docs = docsOf(path)
  if (docs.length !== 1) throw new Error(`${path}: expected one document, found ${docs.length}`)
  return docs[0]!
}

export function walk (dir: string): string[] {
  return readdirSync(dir).sort().flatMap(name => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : [path]
  })
}

/** Every Helm chart under deploy/ (its folder). */
export const chartDirs = walk(deploy).filter(p => p.endsWith('/Chart.yaml')).map(dirname)

/**
 * The bridge's own metrics the chart's alerts (PrometheusRule) and Grafana dashboard may use
 * (app/core/metrics.ts registers them). Histograms also expose NAME_bucket, NAME_sum, NAME_count.
 */
export const kgbMetrics = [
  'kgb_http_requests_total', 'kgb_http_request_duration_seconds', 'kgb_pending_deployments', 'kgb_outbox_depth',
  'kgb_events_received_total', 'kgb_keptn_events_sent_total', 'kgb_dead_letters_total', 'kgb_deadline_expiries_total',
  'kgb_keptn_request_duration_seconds', 'kgb_git_writes_total', 'kgb_kubernetes_errors_total',
  'kgb_keptn_poll_errors_total', 'kgb_store_up', 'kgb_build_info'
]
const kgbHistograms = ['kgb_http_request_duration_seconds', 'kgb_keptn_request_duration_seconds']
/** True for a series name the bridge exports (histogram series included). */
export const isKgbSeries = (name: string): boolean =>
  kgbMetrics.includes(name) || kgbHistograms.some(h => ['_bucket', '_sum', '_count'].some(suffix => name === h + suffix))

const promqlKeywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan'])
/**
 * The metric names a PromQL expression selects: identifiers that are no function (not followed by
 * `(`), no keyword, and not inside a string, a label matcher `{…}`, a range `[…]` or a grouping
 * clause (`by (…)`, `on (…)`, …). Enough for the chart's expressions; no full parser.
 */
export function metricNames (expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
  const names: string[] = []
  for (const m of stripped.matchAll(/(?<![\w.])[A-Za-z_:][\w:]*/g)) {
    const rest = stripped.slice(m.index + m[0].length)
    if (/^\s*\(/.test(rest) || promqlKeywords.has(m[0].toLowerCase())) continue
    names.push(m[0])
  }
  return names
}
