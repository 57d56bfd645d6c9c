// Checks deploy/ the way a user would trip over it: every YAML parses, the chart renders (with a
// small Go-template renderer, tests/deploy/helpers/mini-helm.ts, since there is no helm binary
// here), the wiring between Flux / Argo CD / the bridge lines up, and nothing names an
// environment variable the service does not read.
//
// deploy/manifests/keptn-gitops-bridge.yaml is the chart rendered with its defaults. After a chart
// change regenerate it with:
//   UPDATE_DEPLOY_MANIFESTS=1 npx tap --disable-coverage tests/deploy/manifests.test.ts
import t, { type Test } from 'tap'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { loadChart, parseAllDocuments, renderChart, type Doc, type RenderedChart } from './helpers/mini-helm.js'
import { parseMappingRules } from '../../app/core/mapping/mapping-file.js'
import { parseGitTargets } from '../../app/core/gitops/targets.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const deploy = join(root, 'deploy')
const chartDir = join(deploy, 'chart', 'keptn-gitops-bridge')
const demo = join(deploy, 'demo')
const read = (path: string) => readFileSync(join(root, path), 'utf8')
const docsOf = (path: string): Doc[] => parseAllDocuments(read(path), path)
const one = (path: string): Doc => {
  const docs = docsOf(path)
  if (docs.length !== 1) throw new Error(`${path}: expected one document, found ${docs.length}`)
  return docs[0]!
}

// The variables the service reads (README "Configuration"). POD_NAMESPACE: plugins/engine.ts
// reports it when registering as a Keptn uniform; the chart sets it from the downward API.
const knownEnv = new Set([
  'PORT', 'HOST', 'LOG_LEVEL', 'NODE_ENV', 'FLUX_HMAC_KEYS', 'FLUX_WEBHOOK_TOKEN', 'ARGOCD_WEBHOOK_TOKEN',
  'REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS', 'REDIS_SENTINEL_NAME', 'REDIS_PASSWORD',
  'REDIS_USERNAME', 'REDIS_SENTINEL_PASSWORD', 'REDIS_TLS', 'REDIS_TLS_CA_FILE', 'REDIS_TLS_CERT_FILE', 'REDIS_TLS_KEY_FILE', 'KEY_PREFIX', 'KEPTN_API_URL', 'KEPTN_API_TOKEN', 'KEPTN_POLL_INTERVAL',
  'KEPTN_REGISTER', 'DEPLOYMENT_TIMEOUT', 'TRIGGER_SEQUENCE', 'MAPPING_FILE', 'KUBERNETES_API_URL',
  'KUBERNETES_TOKEN_FILE', 'KUBERNETES_CA_FILE', 'KEPTN_PROJECT_LABEL', 'KEPTN_STAGE_LABEL',
  'KEPTN_SERVICE_LABEL', 'MAX_EVENT_AGE', 'MAX_CLOCK_SKEW', 'GIT_TARGETS', 'GIT_WORKDIR',
  'GIT_TOKEN_FILE', 'GIT_SSH_KEY_FILE', 'FLUX_RECEIVER_URL', 'FLUX_RECEIVER_TOKEN', 'POD_NAMESPACE',
  'KEPTN_PROJECTS', 'VERSION_MATCH', 'EARLY_RESULT_WINDOW', 'REDIS_WAIT_REPLICAS'
])
const secretEnv = ['FLUX_HMAC_KEYS', 'FLUX_WEBHOOK_TOKEN', 'ARGOCD_WEBHOOK_TOKEN', 'KEPTN_API_TOKEN', 'REDIS_URL']

function walk (dir: string): string[] {
  return readdirSync(dir).sort().flatMap(name => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : [path]
  })
}

const chartDirs = walk(deploy).filter(p => p.endsWith('/Chart.yaml')).map(dirname)
const isTemplate = (path: string) => chartDirs.some(c => path.startsWith(join(c, 'templates') + '/'))
const yamlFiles = walk(deploy).filter(p => /\.ya?ml$/.test(p) && !isTemplate(p)).map(p => relative(root, p))

// Values that switch every optional part of the chart on.
const everything = {
  replicaCount: 3,
  podAnnotations: { 'example.com/a': 'b' },
  podLabels: { team: 'delivery' },
  imagePullSecrets: [{ name: 'regcred' }],
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [{ key: 'dedicated', operator: 'Exists' }],
  affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } },
  topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' }],
  serviceAccount: { annotations: { 'example.com/role': 'x' } },
  service: { annotations: { 'example.com/s': 'y' } },
  config: { triggerSequence: 'evaluation', keptnProjects: 'podtato,sockshop', versionMatch: 'prefer', earlyResultWindow: '2m', kubernetes: { apiUrl: 'https://k8s.example:6443', tokenFile: '/var/run/token', caFile: '/var/run/ca.crt' } },
  secret: { create: true, values: { FLUX_HMAC_KEYS: 'k1,k2', REDIS_URL: 'redis://redis:6379' } },
  redis: { urlFromSecret: false, sentinels: 's1:26379,s2:26379', sentinelName: 'mymaster', waitReplicas: 2, passwordFromSecret: true, tls: true, tlsCaSecret: 'redis-ca', tlsClientCertSecret: 'redis-client' },
  mapping: { rules: [{ match: { kind: 'HelmRelease', namespace: '{project}-{stage}', name: '{service}' } }] },
  git: {
    targets: [{ project: 'podtato', stage: 'dev', service: 'helloservice', repo: 'git@github.com:example/podtato-gitops.git', branch: 'main', file: 'apps/dev/helloservice.yaml', path: 'spec.values.image.tag', write: 'tag' }],
    credentials: { secretName: 'git-creds', tokenKey: '', sshKeyKey: 'identity' },
    fluxReceiverUrl: 'http://notification-controller.flux-system.svc/hook/abc'
  },
  extraEnv: [{ name: 'LOG_LEVEL', value: 'debug' }],
  serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
  networkPolicy: { enabled: true }
}

const render = (values: Record<string, unknown> = {}): RenderedChart =>
  renderChart(chartDir, { release: 'keptn-gitops-bridge', namespace: 'keptn', values })
const kinds = (r: RenderedChart) => r.documents.map(d => d.kind as string)
const byKind = (docs: Doc[], kind: string): Doc[] => docs.filter(d => d.kind === kind)
const deploymentOf = (docs: Doc[]): Doc => {
  const found = byKind(docs, 'Deployment')
  if (found.length !== 1) throw new Error(`expected one Deployment, found ${found.length}`)
  return found[0]!
}
const containerOf = (docs: Doc[]): Doc => deploymentOf(docs).spec.template.spec.containers[0]

const defaults = render()
if (process.env.UPDATE_DEPLOY_MANIFESTS === '1') writeFileSync(join(deploy, 'manifests', 'keptn-gitops-bridge.yaml'), manifestsFromChart())
const plain = [...docsOf('deploy/manifests/keptn-gitops-bridge.yaml'), ...docsOf('deploy/manifests/secret.yaml')]

t.test('every YAML file in deploy/ parses (multi-document, no YAML 1.1 octal ambiguity)', async t => {
  t.ok(yamlFiles.length >= 20, `found ${yamlFiles.length} files`)
  for (const file of yamlFiles) {
    t.doesNotThrow(() => docsOf(file), file)
  }
  for (const file of yamlFiles.filter(f => !f.includes('/chart/') && !f.includes('/charts/'))) {
    for (const doc of docsOf(file)) {
      // not Kubernetes objects: service config files, kustomize's own file, Keptn's shipyard
      if (['mapping.yaml', 'git-targets.yaml', 'bridge-values.yaml'].some(n => file.endsWith(n)) && !doc.kind) continue
      if (doc.kind === 'Shipyard' || String(doc.apiVersion).startsWith('kustomize.config.k8s.io/')) continue
      t.ok(doc.apiVersion && doc.kind && doc.metadata?.name, `${file}: ${doc.kind}/${doc.metadata?.name} has apiVersion, kind, metadata.name`)
    }
  }
})

t.test('every chart in deploy/ renders with its defaults into parseable Kubernetes objects', async t => {
  t.ok(chartDirs.length >= 2, chartDirs.map(c => relative(root, c)).join(', '))
  for (const dir of chartDirs) {
    const rendered = renderChart(dir, { release: 'test', namespace: 'test' })
    t.ok(rendered.documents.length > 0, `${relative(root, dir)} renders objects`)
    for (const doc of rendered.documents) t.ok(doc.apiVersion && doc.kind && doc.metadata?.name, `${relative(root, dir)}: ${doc.kind}/${doc.metadata?.name}`)
  }
})

t.test('the chart renders with every option switched on, and each option shows up', async t => {
  const r = render(everything)
  t.same(kinds(r).sort(), ['ConfigMap', 'ClusterRole', 'ClusterRoleBinding', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Secret', 'Service', 'ServiceAccount', 'ServiceMonitor'].sort())
  const container = containerOf(r.documents)
  const env = new Map<string, Doc>(container.env.map((e: Doc) => [e.name, e]))
  t.equal(env.get('REDIS_SENTINELS')?.value, 's1:26379,s2:26379')
  t.equal(env.get('REDIS_SENTINEL_NAME')?.value, 'mymaster')
  t.equal(env.get('REDIS_PASSWORD')?.valueFrom?.secretKeyRef?.key, 'REDIS_PASSWORD')
  t.notOk(env.has('REDIS_URL'), 'no REDIS_URL in sentinel mode')
  t.equal(env.get('GIT_SSH_KEY_FILE')?.value, '/etc/keptn-gitops-bridge/git/identity')
  t.notOk(env.has('GIT_TOKEN_FILE'), 'tokenKey "" sets no GIT_TOKEN_FILE')
  t.equal(env.get('MAPPING_FILE')?.value, '/etc/keptn-gitops-bridge/config/mapping.yaml')
  t.equal(env.get('GIT_TARGETS')?.value, '/etc/keptn-gitops-bridge/config/git-targets.yaml')
  t.equal(env.get('TRIGGER_SEQUENCE')?.value, 'evaluation')
  t.equal(env.get('KEPTN_PROJECTS')?.value, 'podtato,sockshop')
  t.equal(env.get('VERSION_MATCH')?.value, 'prefer')
  t.equal(env.get('EARLY_RESULT_WINDOW')?.value, '2m')
  t.equal(env.get('REDIS_WAIT_REPLICAS')?.value, '2')
  t.equal(env.get('REDIS_TLS_CA_FILE')?.value, '/etc/keptn-gitops-bridge/redis-ca/ca.crt')
  t.equal(env.get('REDIS_TLS')?.value, 'true')
  t.equal(env.get('REDIS_TLS_CERT_FILE')?.value, '/etc/keptn-gitops-bridge/redis-client/tls.crt')
  t.equal(env.get('REDIS_TLS_KEY_FILE')?.value, '/etc/keptn-gitops-bridge/redis-client/tls.key')
  for (const name of ['REDIS_USERNAME', 'REDIS_SENTINEL_PASSWORD']) t.equal(env.get(name)?.valueFrom?.secretKeyRef?.optional, true, `${name} is optional`)
  const mounts = new Map<string, Doc>(container.volumeMounts.map((m: Doc) => [m.mountPath, m]))
  for (const path of ['/etc/keptn-gitops-bridge/config', '/etc/keptn-gitops-bridge/git', '/etc/keptn-gitops-bridge/redis-ca', '/etc/keptn-gitops-bridge/redis-client']) {
    t.equal(mounts.get(path)?.readOnly, true, `${path} is mounted read-only`)
  }
  const gitVolume = deploymentOf(r.documents).spec.template.spec.volumes.find((v: Doc) => v.name === 'git-credentials')
  t.equal(gitVolume.secret.defaultMode, 0o440, 'the Git key is 0440 (root-owned, fsGroup-readable: ssh accepts it)')

  // the mounted files are what the service parses
  const configMap = byKind(r.documents, 'ConfigMap')[0]!
  t.equal(parseMappingRules(configMap.data['mapping.yaml'], 'mapping.yaml').length, 1, 'mapping.yaml parses as MAPPING_FILE')
  t.equal(parseGitTargets(configMap.data['git-targets.yaml'], 'git-targets.yaml').length, 1, 'git-targets.yaml parses as GIT_TARGETS')
  t.match(deploymentOf(r.documents).spec.template.metadata.annotations['checksum/config'], /^[0-9a-f]{64}$/, 'pods roll when the config changes')
  t.equal(deploymentOf(r.documents).spec.template.metadata.annotations['example.com/a'], 'b')

  const secret = byKind(r.documents, 'Secret')[0]!
  t.same(secret.stringData, { FLUX_HMAC_KEYS: 'k1,k2', REDIS_URL: 'redis://redis:6379' })
  const monitor = byKind(r.documents, 'ServiceMonitor')[0]!
  t.same(monitor.spec.endpoints, [{ port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }])
  t.equal(monitor.metadata.labels.release, 'prometheus')
  const policy = byKind(r.documents, 'NetworkPolicy')[0]!
  t.same(policy.spec.podSelector.matchLabels, deploymentOf(r.documents).spec.selector.matchLabels, 'the NetworkPolicy selects the pods')
  t.same(policy.spec.ingress, [{
    ports: [{ port: 'http', protocol: 'TCP' }],
    from: [
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flux-system' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'argocd' } } },
      { podSelector: {} }
    ]
  }], 'only Flux, Argo CD and the release namespace (Keptn) reach the port')
})

t.test('chart guards: more than one replica needs a shared Redis; sentinels need a name', async t => {
  t.throws(() => render({ redis: { urlFromSecret: false } }), /replicaCount > 1 needs a shared Redis/)
  t.throws(() => render({ redis: { urlFromSecret: false, sentinels: 'a:1' } }), /sentinelName/)
  const single = render({ replicaCount: 1, redis: { urlFromSecret: false } })
  t.notOk(kinds(single).includes('PodDisruptionBudget'), 'no PDB for one replica')
  t.notOk(containerOf(single.documents).env.some((e: Doc) => e.name === 'REDIS_URL'), 'one replica may use the memory store')
  t.same(kinds(render({ serviceMonitor: { enabled: false }, podDisruptionBudget: { enabled: false } })).sort(),
    ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'Service', 'ServiceAccount'].sort())
})

t.test('optional settings: unset by default so the service\'s defaults hold; 0 is a value, not unset', async t => {
  const names = ['KEPTN_PROJECTS', 'VERSION_MATCH', 'EARLY_RESULT_WINDOW', 'REDIS_WAIT_REPLICAS']
  const envOf = (r: RenderedChart) => new Map<string, Doc>(containerOf(r.documents).env.map((e: Doc) => [e.name, e]))
  const unset = envOf(defaults)
  for (const name of names) t.notOk(unset.has(name), `${name} is not set by default`)
  const zero = envOf(render({ config: { earlyResultWindow: 0 }, redis: { waitReplicas: 0 } }))
  t.equal(zero.get('EARLY_RESULT_WINDOW')?.value, '0', 'earlyResultWindow 0 turns holding off')
  t.equal(zero.get('REDIS_WAIT_REPLICAS')?.value, '0', 'waitReplicas 0 turns WAIT off (the default with sentinels is 1)')
})

t.test('chart defaults: 2 replicas, PDB on, ServiceMonitor off, no ConfigMap, no Secret', async t => {
  t.same(kinds(defaults).sort(), ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'PodDisruptionBudget', 'Service', 'ServiceAccount'].sort())
  t.equal(deploymentOf(defaults.documents).spec.replicas, 2)
  const pdb = byKind(defaults.documents, 'PodDisruptionBudget')[0]!
  t.same(pdb.spec.selector.matchLabels, deploymentOf(defaults.documents).spec.selector.matchLabels, 'the PDB selects the pods')
  const service = byKind(defaults.documents, 'Service')[0]!
  t.same(service.spec.ports, [{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }])
  t.same(service.spec.selector, deploymentOf(defaults.documents).spec.selector.matchLabels, 'the Service selects the pods')
  t.match(defaults.notes, 'http://keptn-gitops-bridge.keptn.svc:8080/hooks/flux', 'NOTES.txt renders and names the Flux address')
})

for (const [name, docs] of [['chart (defaults)', defaults.documents], ['deploy/manifests', plain]] as const) {
  t.test(`${name}: the Deployment is probed, locked down and gets its secrets from the Secret`, async t => {
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
  })

  t.test(`${name}: RBAC grants only get, only on the Flux kinds`, async t => {
    const roles = [...byKind(docs, 'ClusterRole'), ...byKind(docs, 'Role')]
    t.ok(roles.length > 0)
    for (const role of roles) checkRules(t, role)
    const binding = byKind(docs, 'ClusterRoleBinding')[0]!
    t.equal(binding.roleRef.name, roles[0]!.metadata.name)
    t.same(binding.subjects, [{ kind: 'ServiceAccount', name: 'keptn-gitops-bridge', namespace: 'keptn' }])
  })
}

function checkRules (t: Test, role: Doc) {
  const granted = new Set<string>()
  for (const rule of role.rules) {
    t.same(rule.verbs, ['get'], `${role.kind} ${role.metadata.name}: verbs are only get`)
    for (const group of rule.apiGroups) for (const resource of rule.resources) granted.add(`${resource}.${group}`)
  }
  t.same([...granted].sort(), [
    'helmreleases.helm.toolkit.fluxcd.io',
    'kustomizations.kustomize.toolkit.fluxcd.io',
    'gitrepositories.source.toolkit.fluxcd.io',
    'ocirepositories.source.toolkit.fluxcd.io',
    'helmcharts.source.toolkit.fluxcd.io',
    'helmrepositories.source.toolkit.fluxcd.io',
    'buckets.source.toolkit.fluxcd.io'
  ].sort(), `${role.kind} ${role.metadata.name}: exactly the Flux kinds`)
}

t.test('rbac.namespaces: a Role and RoleBinding per namespace instead of a ClusterRole', async t => {
  const r = render({ rbac: { namespaces: ['podtato-dev', 'podtato-prod'] } })
  t.notOk(kinds(r).includes('ClusterRole'))
  const roles = byKind(r.documents, 'Role')
  t.same(roles.map(x => x.metadata.namespace), ['podtato-dev', 'podtato-prod'])
  for (const role of roles) checkRules(t, role)
  t.same(byKind(r.documents, 'RoleBinding').map(b => [b.metadata.namespace, b.roleRef.kind, b.subjects[0].namespace]),
    [['podtato-dev', 'Role', 'keptn'], ['podtato-prod', 'Role', 'keptn']])
  t.notOk(kinds(render({ rbac: { create: false } })).some(k => k.includes('Role')), 'rbac.create false: no RBAC')
})

t.test('every environment variable in the chart and the manifests is one the service reads', async t => {
  const source = ['app', 'plugins'].flatMap(dir => walk(join(root, dir))).filter(p => p.endsWith('.ts')).map(p => readFileSync(p, 'utf8')).join('\n')
  const seen = new Set<string>()
  const variants = [
    defaults,
    render(everything),
    render({ replicaCount: 1, redis: { urlFromSecret: false, clusterNodes: 'a:1,b:2' } }),
    render({ git: { credentials: { secretName: 'git-creds' } } })
  ]
  for (const docs of [...variants.map(v => v.documents), plain]) {
    for (const deployment of byKind(docs, 'Deployment')) {
      for (const container of deployment.spec.template.spec.containers) {
        for (const e of container.env) seen.add(e.name)
      }
    }
  }
  for (const doc of docsOf('deploy/manifests/secret.yaml')) for (const key of Object.keys(doc.stringData ?? {})) seen.add(key)
  const dockerEnv = /^ENV\s+([\s\S]*?)(?:\n\n|\n[A-Z])/m.exec(read('deploy/Dockerfile'))?.[1] ?? ''
  for (const m of dockerEnv.matchAll(/([A-Z_]+)=/g)) seen.add(m[1]!)
  t.ok(seen.size > 25, `${seen.size} names`)
  for (const name of seen) {
    t.ok(knownEnv.has(name), `${name} is a known variable`)
    t.ok(source.includes(`'${name}'`) || source.includes(`.${name}`), `${name} is read somewhere in app/ or plugins/`)
  }
  // and the chart offers every documented variable somewhere
  for (const name of knownEnv) t.ok(seen.has(name), `the chart can set ${name}`)
})

t.test('values.yaml: every value a template uses exists, is used, is commented and is in the README', async t => {
  const { values, templates } = loadChart(chartDir)
  const text = [...templates.values()].join('\n')
  const refs = new Set([...text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)].map(m => m[1]!.slice(1)))
  t.ok(refs.size > 30, `${refs.size} references`)
  const has = (path: string) => {
    let cur: unknown = values
    for (const key of path.split('.')) {
      if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, key)) return false
      cur = (cur as Record<string, unknown>)[key]
    }
    return true
  }
  for (const ref of refs) t.ok(has(ref), `.Values.${ref} exists in values.yaml`)

  // every value is used, by itself or as part of a block a template renders whole (toYaml)
  const paths: string[] = []
  const collect = (obj: unknown, prefix: string) => {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return
    for (const [k, v] of Object.entries(obj)) {
      const path = prefix ? `${prefix}.${k}` : k
      paths.push(path)
      if (!refs.has(path)) collect(v, path)
    }
  }
  collect(values, '')
  for (const path of paths) {
    t.ok([...refs].some(ref => ref === path || path.startsWith(ref + '.') || ref.startsWith(path + '.')), `${path} is used by a template`)
  }

  // documented: a comment right above the key (or on its line) in values.yaml, and a README row
  const lines = read('deploy/chart/keptn-gitops-bridge/values.yaml').split('\n')
  const readme = read('deploy/chart/keptn-gitops-bridge/README.md')
  for (const ref of refs) {
    const keys = ref.split('.')
    let from = 0
    let line = -1
    for (const [depth, key] of keys.entries()) {
      line = lines.findIndex((l, i) => i >= from && l.startsWith(' '.repeat(depth * 2) + key + ':'))
      from = line + 1
    }
    t.ok(line >= 0 && (/#/.test(lines[line]!) || /^\s*#/.test(lines[line - 1] ?? '')), `${ref} has a comment in values.yaml`)
    t.ok(readme.includes('`' + ref + '`'), `${ref} is in the chart README`)
  }
})

t.test('Chart.yaml: appVersion is the package version; the image tag defaults to it', async t => {
  const chart = one('deploy/chart/keptn-gitops-bridge/Chart.yaml')
  const pkg = JSON.parse(read('package.json')) as { version: string }
  t.equal(chart.apiVersion, 'v2')
  t.equal(chart.name, 'keptn-gitops-bridge')
  t.equal(chart.appVersion, pkg.version)
  t.match(containerOf(defaults.documents).image, new RegExp(`:${pkg.version.replaceAll('.', '\\.')}$`))
})

// The plain manifests are the chart with defaults, minus helm's own labels.
function manifestsFromChart (): string {
  const header = [
    '# keptn-gitops-bridge for `kubectl apply` (no helm): the chart in deploy/chart rendered with its',
    '# default values, namespace keptn. Create the Secret first (secret.yaml) and a Redis it can reach,',
    '# or apply both with `kubectl apply -k deploy/manifests`.',
    '# Generated: UPDATE_DEPLOY_MANIFESTS=1 npx tap --disable-coverage tests/deploy/manifests.test.ts',
    '# Do not edit by hand; change the chart and regenerate.'
  ].join('\n')
  const bodies = [...defaults.files.values()]
    .map(text => text.split('\n').filter(l => !/^\s*(helm\.sh\/chart|app\.kubernetes\.io\/managed-by):/.test(l)).join('\n').trim())
    .filter(text => text !== '')
  return `${header}\n---\n${bodies.join('\n---\n')}\n`
}

const stripHelm = (doc: Doc): Doc => {
  const copy = structuredClone(doc)
  for (const labels of [copy.metadata?.labels, copy.spec?.template?.metadata?.labels]) {
    if (labels) { delete labels['helm.sh/chart']; delete labels['app.kubernetes.io/managed-by'] }
  }
  return copy
}

t.test('deploy/manifests equals the chart rendered with defaults (regenerate with UPDATE_DEPLOY_MANIFESTS=1)', async t => {
  const generated = docsOf('deploy/manifests/keptn-gitops-bridge.yaml')
  t.same(generated, defaults.documents.map(stripHelm))
  const kustomization = one('deploy/manifests/kustomization.yaml')
  for (const resource of kustomization.resources) t.ok(existsSync(join(deploy, 'manifests', resource)), `kustomization resource ${resource} exists`)
  t.equal(kustomization.namespace, 'keptn')
})

t.test('deploy/manifests/secret.yaml: the Secret the Deployment reads, placeholders only', async t => {
  const secret = one('deploy/manifests/secret.yaml')
  t.same([secret.kind, secret.metadata.name, secret.metadata.namespace], ['Secret', 'keptn-gitops-bridge', 'keptn'])
  const keys = Object.keys(secret.stringData)
  for (const key of ['FLUX_HMAC_KEYS', 'ARGOCD_WEBHOOK_TOKEN', 'KEPTN_API_TOKEN', 'REDIS_URL']) t.ok(keys.includes(key), key)
  t.notOk(keys.includes('FLUX_WEBHOOK_TOKEN'), 'no FLUX_WEBHOOK_TOKEN by default: set, it makes a bearer token mandatory on /hooks/flux')
})

t.test('no real secrets: every Secret value in deploy/ is a <placeholder>', async t => {
  let count = 0
  for (const file of yamlFiles) {
    for (const doc of docsOf(file).filter(d => d.kind === 'Secret')) {
      t.notOk(doc.data, `${file}: uses stringData (readable placeholders), not data`)
      for (const [key, value] of Object.entries(doc.stringData ?? {})) {
        count++
        t.match(value, /<[^>]+>/, `${file}: ${key} is a placeholder`)
      }
    }
  }
  t.ok(count >= 6)
  // The Flux key and the bridge key are different placeholders: the pair never works by accident.
  t.not(one('deploy/flux/secret.yaml').stringData.token, one('deploy/manifests/secret.yaml').stringData.FLUX_HMAC_KEYS)
})

function checkFluxWiring (t: Test, providerDoc: Doc, alertDoc: Doc) {
  const service = byKind(plain, 'Service')[0]!
  t.equal(providerDoc.apiVersion, 'notification.toolkit.fluxcd.io/v1beta3')
  t.equal(providerDoc.spec.type, 'generic-hmac')
  const url = new URL(providerDoc.spec.address)
  t.equal(url.pathname, '/hooks/flux', 'the Provider posts to /hooks/flux')
  t.equal(url.host, `${service.metadata.name}.${service.metadata.namespace}.svc:${service.spec.ports[0].port}`, 'the address is the bridge Service')
  t.equal(providerDoc.spec.secretRef.name, one('deploy/flux/secret.yaml').metadata.name)
  t.equal(alertDoc.apiVersion, 'notification.toolkit.fluxcd.io/v1beta3')
  t.equal(alertDoc.metadata.namespace, providerDoc.metadata.namespace)
  t.equal(alertDoc.spec.providerRef.name, providerDoc.metadata.name, 'the Alert uses the Provider')
  t.equal(alertDoc.spec.eventSeverity, 'info', 'info: successes reach the bridge, not only errors')
  const sources = alertDoc.spec.eventSources as Doc[]
  t.ok(sources.some(s => s.kind === 'HelmRelease' && s.name === '*'), 'HelmRelease *')
  t.ok(sources.some(s => s.kind === 'Kustomization' && s.name === '*'), 'Kustomization *')
  // an eventSource without namespace means the Alert's own namespace: the demo HelmRelease lives in podtato-dev
  t.ok(sources.some(s => s.kind === 'HelmRelease' && s.namespace === 'podtato-dev'), 'the podtato-dev HelmReleases are covered')
}

t.test('Flux: Provider, Alert and Secret line up with the bridge', async t => {
  checkFluxWiring(t, one('deploy/flux/provider.yaml'), one('deploy/flux/alert.yaml'))
  const [provider, alert] = docsOf('deploy/demo/gitops/clusters/demo/keptn-notifications.yaml')
  checkFluxWiring(t, provider!, alert!)
  const secret = one('deploy/flux/secret.yaml')
  t.same([secret.metadata.name, secret.metadata.namespace], ['keptn-bridge-hmac', 'flux-system'])
  t.ok(secret.stringData.token, 'token (the HMAC key)')
  const headers = parseYaml(secret.stringData.headers) as Record<string, string>
  t.match(headers.Authorization, /^Bearer /, 'headers is a YAML map of header: value')
})

for (const file of ['deploy/flux/helmrelease-example.yaml', 'deploy/demo/gitops/apps/dev/helloservice.yaml']) {
  t.test(`${file}: a HelmRelease the bridge can map`, async t => {
    const hr = one(file)
    t.equal(hr.apiVersion, 'helm.toolkit.fluxcd.io/v2')
    t.equal(hr.kind, 'HelmRelease')
    t.equal(hr.metadata.namespace, 'podtato-dev')
    t.same(hr.metadata.annotations, {
      'event.toolkit.fluxcd.io/keptn-project': 'podtato',
      'event.toolkit.fluxcd.io/keptn-stage': 'dev',
      'event.toolkit.fluxcd.io/keptn-service': 'helloservice'
    })
    t.same(hr.metadata.labels, { 'keptn.sh/project': 'podtato', 'keptn.sh/stage': 'dev', 'keptn.sh/service': 'helloservice' })
    t.equal(hr.spec.values.image.tag, 'v0.3.1')
    t.equal(hr.spec.chart.spec.reconcileStrategy, 'Revision', 'each commit is a new chart revision')
    // the chart it names exists in the demo GitOps repository and renders these values
    const chart = join(demo, 'gitops', hr.spec.chart.spec.chart)
    t.ok(existsSync(join(chart, 'Chart.yaml')), `${hr.spec.chart.spec.chart} exists in deploy/demo/gitops`)
    const rendered = renderChart(chart, { release: hr.spec.releaseName, namespace: hr.metadata.namespace, values: hr.spec.values })
    t.equal(containerOf(rendered.documents).image, 'ghcr.io/podtato-head/podtato-server:v0.3.1')
  })
}

t.test('the example HelmReleases are the same object', async t => {
  t.same(one('deploy/flux/helmrelease-example.yaml'), one('deploy/demo/gitops/apps/dev/helloservice.yaml'))
})

t.test('mapping.yaml and git-targets.yaml are accepted by the service\'s own parsers', async t => {
  const rules = parseMappingRules(read('deploy/flux/mapping.yaml'), 'deploy/flux/mapping.yaml')
  t.ok(rules.length >= 2)
  const targets = parseGitTargets(read('deploy/demo/git-targets.yaml'), 'deploy/demo/git-targets.yaml')
  t.equal(targets.length, 1)
  const [target] = targets
  t.match(target, { project: 'podtato', stage: 'dev', service: 'helloservice', branch: 'main', path: 'spec.values.image.tag', write: 'tag' })
  // the file it names, with placeholders filled, is the HelmRelease, and the path exists in it
  const file = target!.file.replace('{stage}', 'dev').replace('{service}', 'helloservice')
  const hr = one(`deploy/demo/gitops/${file}`)
  t.equal(target!.path.split('.').reduce<any>((obj, key) => obj?.[key], hr), 'v0.3.1', `${target!.path} exists in ${file}`)
  // the chart values of the demo carry the same targets
  const values = one('deploy/demo/bridge-values.yaml')
  t.same(values.git.targets, (parseYaml(read('deploy/demo/git-targets.yaml')) as Doc).targets)
  t.doesNotThrow(() => render(values), 'the demo values render')
})

t.test('the demo shipyard has dev with delivery (deployment, test, evaluation) and evaluation', async t => {
  const shipyard = one('deploy/demo/shipyard.yaml')
  t.equal(shipyard.kind, 'Shipyard')
  t.match(shipyard.apiVersion, /^spec\.keptn\.sh\/0\.2\.\d$/)
  const dev = shipyard.spec.stages.find((s: Doc) => s.name === 'dev')
  const sequences = new Map<string, string[]>(dev.sequences.map((s: Doc) => [s.name, s.tasks.map((x: Doc) => x.name)]))
  t.same(sequences.get('delivery'), ['deployment', 'test', 'evaluation'])
  t.same(sequences.get('evaluation'), ['evaluation'])
  const values = one('deploy/demo/bridge-values.yaml')
  t.ok(sequences.has(values.config.triggerSequence), 'TRIGGER_SEQUENCE of the demo is a sequence of the shipyard')
})

t.test('the demo README names files that exist and the commands of both flows', async t => {
  const readme = read('deploy/demo/README.md')
  const paths = [...readme.matchAll(/\$BRIDGE\/(deploy\/[\w./-]+)/g)].map(m => m[1]!)
  t.ok(paths.length >= 5)
  for (const path of paths) t.ok(existsSync(join(root, path)), `${path} exists`)
  for (const command of ['keptn create project podtato', 'keptn trigger delivery --project=podtato --stage=dev --service=helloservice',
    'ghcr.io/podtato-head/podtato-server:v0.3.2', 'flux reconcile', 'git commit', 'flux bootstrap', 'kubectl apply', 'helm install']) {
    t.ok(readme.includes(command), command)
  }
})

t.test('Argo CD: webhook service, templates and triggers line up with the bridge', async t => {
  const cm = one('deploy/argocd/argocd-notifications-cm.yaml')
  const secret = one('deploy/argocd/argocd-notifications-secret.yaml')
  const service = parseYaml(cm.data['service.webhook.keptn-bridge']) as Doc
  const url = new URL(service.url)
  t.equal(url.pathname, '/hooks/argocd')
  t.equal(url.host, 'keptn-gitops-bridge.keptn.svc:8080')
  const auth = service.headers.find((h: Doc) => h.name === 'Authorization')
  const key = /^Bearer \$([\w-]+)$/.exec(auth.value)?.[1]
  t.ok(key && Object.hasOwn(secret.stringData, key), `Authorization uses the secret key $${key}`)

  const templates = new Map<string, Doc>()
  const triggers = new Map<string, Doc[]>()
  for (const [name, value] of Object.entries(cm.data as Record<string, string>)) {
    if (name.startsWith('template.')) templates.set(name.slice(9), parseYaml(value) as Doc)
    if (name.startsWith('trigger.')) triggers.set(name.slice(8), parseYaml(value) as Doc[])
  }
  t.same([...triggers.keys()].sort(), ['keptn-on-deployed', 'keptn-on-health-degraded', 'keptn-on-sync-failed'])
  // the notifications catalog owns these names; redefining them would hijack existing subscriptions
  for (const catalog of ['on-deployed', 'on-sync-failed', 'on-health-degraded', 'on-sync-succeeded']) t.notOk(triggers.has(catalog), `does not redefine ${catalog}`)
  for (const [trigger, conditions] of triggers) {
    for (const condition of conditions) {
      for (const template of condition.send) {
        const body = templates.get(template)?.webhook?.['keptn-bridge']?.body as string
        t.ok(body?.includes('{{toJson .app}}'), `${template}: body has {{toJson .app}}`)
        t.equal(templates.get(template)!.webhook['keptn-bridge'].method, 'POST')
        // what Argo CD sends once it has filled in the app
        const sent = JSON.parse(body.replace('{{toJson .app}}', JSON.stringify({ metadata: { name: 'x' } }))) as Doc
        t.same(sent, { app: { metadata: { name: 'x' } }, trigger }, `${template}: body is {"app": …, "trigger": "${trigger}"}`)
      }
    }
  }
  const deployed = triggers.get('keptn-on-deployed')![0]!
  t.equal(deployed.when, "app.status.operationState != nil and app.status.operationState.phase in ['Succeeded'] and app.status.health.status == 'Healthy'")
  t.equal(deployed.oncePer, 'app.status.operationState?.syncResult?.revision')
  t.match(triggers.get('keptn-on-sync-failed')![0]!.when, /phase in \['Error', 'Failed'\]/)
  t.match(triggers.get('keptn-on-health-degraded')![0]!.when, /app\.status\.health\.status == 'Degraded'/)

  const app = one('deploy/argocd/application-example.yaml')
  t.same(app.metadata.labels, { 'keptn.sh/project': 'podtato', 'keptn.sh/stage': 'dev', 'keptn.sh/service': 'helloservice' })
  const subscriptions = Object.keys(app.metadata.annotations).map(k => /^notifications\.argoproj\.io\/subscribe\.([\w-]+)\.([\w-]+)$/.exec(k))
  t.equal(subscriptions.length, 3)
  for (const m of subscriptions) {
    t.ok(m && triggers.has(m[1]!), `subscribes to a defined trigger: ${m?.[1]}`)
    t.equal(m?.[2], 'keptn-bridge', 'through the keptn-bridge webhook service')
  }
})

t.test('Dockerfile: multi-stage, numeric non-root USER, git and tini in the runtime, no HEALTHCHECK', async t => {
  const dockerfile = read('deploy/Dockerfile')
  const instructions = dockerfile.split('\n').filter(l => l.trim() !== '' && !l.trimStart().startsWith('#'))
  t.notOk(instructions.some(l => /^\s*HEALTHCHECK\b/i.test(l)), 'no HEALTHCHECK')
  const stages = dockerfile.split(/^FROM\s/m).slice(1)
  t.ok(stages.length >= 2, 'multi-stage')
  t.match(dockerfile, /^ARG NODE_IMAGE=node:24-(bookworm-slim|alpine)$/m, 'Node 24')
  const runtime = stages[stages.length - 1]!
  const users = [...runtime.matchAll(/^USER\s+(\S+)/gm)].map(m => m[1]!)
  t.ok(users.length > 0, 'the runtime stage sets USER')
  const user = users[users.length - 1]!
  t.match(user, /^\d+(:\d+)?$/, 'numeric, so runAsNonRoot can verify it')
  t.not(Number(user.split(':')[0]), 0, 'not root')
  t.match(runtime, /apt-get install[^\n]*\bgit\b/, 'git in the runtime image')
  t.match(runtime, /ENTRYPOINT \["\/usr\/bin\/tini", "--"\]/)
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> }
  const entry = /CMD \["node", "([^"]+)"\]/.exec(runtime)?.[1]
  t.ok(entry && pkg.scripts.start!.includes(entry), `CMD runs ${entry}, as npm start does`)
  t.match(dockerfile, /npm ci --omit=dev/)
  t.match(dockerfile, /RUN npm run build/)
  // every source folder the build compiles is copied into the build stage (bench is not shipped)
  const include = (JSON.parse(read('tsconfig.build.json')) as { include: string[] }).include
  for (const dir of include.filter(d => d !== 'bench')) t.match(dockerfile, new RegExp(`^COPY ${dir} \\./${dir}$`, 'm'), `COPY ${dir}`)
})
