// The charts in deploy/ as real helm renders them, and every Kubernetes object of deploy/ decoded
// strictly into the upstream Go types (tests/peers/helm: the pinned helm and kube-decode; build
// them with `bash tests/peers/helm/build.sh`). Checks:
//   - `helm lint --strict` and `helm template` with each value set, the chart's guards (`fail`);
//   - what each option renders, and that the mounted config files parse with the service's parsers;
//   - every rendered object of every value set, and every Kubernetes YAML file in deploy/flux,
//     deploy/argocd, deploy/demo, deploy/manifests and deploy/examples, decodes strictly (unknown field, wrong type,
//     unknown apiVersion/kind: failure);
//   - deploy/manifests/keptn-gitops-bridge.yaml is byte for byte what deploy/manifests/generate.sh
//     renders now (run that after a chart change);
//   - values.schema.json as helm applies it (typos, wrong types, values the service refuses fail);
//   - every kustomization.yaml in deploy/ builds with kustomize (`kubectl apply -k`) into objects
//     that decode strictly.
// What needs no rendering stays in tests/deploy/manifests.test.ts (npm test, no Go).
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { byKind, checkDeployment, checkRbac, checkRules, containerOf, deploymentOf, envNames, knownEnv, parseAllDocuments, root, deploy, read, docsOf, one, walk, chartDirs, isKgbSeries, metricNames, type Doc } from '../deploy/helpers/deploy.js'
import { parseMappingRules } from '../../app/core/mapping/mapping-file.js'
import { parseGitTargets } from '../../app/core/gitops/targets.js'

const chartDir = join(deploy, 'chart', 'keptn-gitops-bridge')
const demo = join(deploy, 'demo')
const helm = join(root, 'tests/peers/.bin/helm')
const kubeDecode = join(root, 'tests/peers/.bin/kube-decode')
const kustomizeBuild = join(root, 'tests/peers/.bin/kustomize-build')
const HELM_VERSION = 'v3.21.4'
for (const bin of [helm, kubeDecode, kustomizeBuild]) {
  if (!existsSync(bin)) throw new Error(`${relative(root, bin)} is missing: run bash tests/peers/helm/build.sh`)
}

const work = mkdtempSync(join(tmpdir(), 'kgb-helm-test-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

function run (cmd: string, args: string[], input?: string) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', input, maxBuffer: 64 << 20 })
  if (r.error) throw r.error
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}
let valueFiles = 0
/** `-f FILE` for a value set (JSON is YAML). */
function valuesArgs (values: Record<string, unknown>): string[] {
  const file = join(work, `values-${valueFiles++}.yaml`)
  writeFileSync(file, JSON.stringify(values, null, 2))
  return ['-f', file]
}

interface Rendered { name: string, text: string, documents: Doc[] }
/** Every successful render, for the strict decoding at the end. */
const renders: Rendered[] = []
interface RenderOptions { dir?: string, release?: string, namespace?: string, name?: string, args?: string[] }
/** `helm template RELEASE DIR -n NAMESPACE -f values [args]`; helm's error (a chart `fail`, the schema) throws. */
function render (values: Record<string, unknown> = {}, options: RenderOptions = {}): Rendered {
  const { dir = chartDir, release = 'keptn-gitops-bridge', namespace = 'keptn', args = [] } = options
  const r = run(helm, ['template', release, dir, '--namespace', namespace, ...valuesArgs(values), ...args])
  if (r.status !== 0) throw new Error(`helm template ${relative(root, dir)} failed: ${r.stderr}`)
  const name = options.name ?? `${relative(root, dir)} ${JSON.stringify(values)}`
  const rendered = { name, text: r.stdout, documents: parseAllDocuments(r.stdout, name) }
  renders.push(rendered)
  return rendered
}
const kinds = (r: Rendered) => r.documents.map(d => d.kind as string)

// helm prints NOTES.txt only on install / upgrade, which need a cluster: render it with the same
// engine by having a copy of the chart put it into a ConfigMap.
function renderNotes (values: Record<string, unknown> = {}): string {
  const copy = join(work, 'notes-chart')
  rmSync(copy, { recursive: true, force: true })
  cpSync(chartDir, copy, { recursive: true })
  const notes = readFileSync(join(copy, 'templates', 'NOTES.txt'), 'utf8')
  rmSync(join(copy, 'templates', 'NOTES.txt'))
  writeFileSync(join(copy, 'templates', '_notes-under-test.tpl'), `{{- define "notes-under-test" -}}\n${notes}{{- end -}}\n`)
  writeFileSync(join(copy, 'templates', 'notes-under-test.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ include "notes-under-test" . | toJson }}\n')
  const r = run(helm, ['template', 'keptn-gitops-bridge', copy, '--namespace', 'keptn', '--show-only', 'templates/notes-under-test.yaml', ...valuesArgs(values)])
  if (r.status !== 0) throw new Error(`rendering NOTES.txt failed: ${r.stderr}`)
  return parseAllDocuments(r.stdout, 'NOTES.txt')[0]!.data.notes
}

interface Decoded { status: number | null, ok: string[], fail: string[], stdout: string }
/** kube-decode on a multi-document YAML text (stdin), or on a file. */
function decode (text: string, file?: string): Decoded {
  const r = file === undefined ? run(kubeDecode, [], text) : run(kubeDecode, [file])
  const lines = r.stdout.split('\n')
  return { status: r.status, ok: lines.filter(l => l.startsWith('OK ')), fail: lines.filter(l => l.startsWith('FAIL ')), stdout: r.stdout + r.stderr }
}
function checkDecodes (t: Test, name: string, text: string, expected: number, file?: string) {
  const d = decode(text, file)
  for (const line of d.ok) t.pass(line)
  for (const line of d.fail) t.fail(line)
  t.equal(d.status, 0, `${name}: kube-decode exits 0`, { output: d.stdout })
  t.equal(d.ok.length, expected, `${name}: all ${expected} objects decoded`)
}

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
  config: { triggerSequence: 'evaluation', keptnProjects: 'podtato,sockshop', versionMatch: 'prefer', earlyResultWindow: '2m', maxEventLoopDelay: '500ms', kubernetes: { apiUrl: 'https://k8s.example:6443', tokenFile: '/var/run/token', caFile: '/var/run/ca.crt' } },
  secret: { create: true, values: { FLUX_HMAC_KEYS: 'k1,k2', REDIS_URL: 'redis://redis:6379' } },
  redis: { urlFromSecret: false, sentinels: 's1:26379,s2:26379', sentinelName: 'mymaster', waitReplicas: 2, passwordFromSecret: true, tls: true, tlsCaSecret: 'redis-ca', tlsClientCertSecret: 'redis-client' },
  mapping: { rules: [{ match: { kind: 'HelmRelease', namespace: '{project}-{stage}', name: '{service}' } }] },
  tls: { secretName: 'bridge-tls', reloadInterval: '30s' },
  git: {
    targets: [{ project: 'podtato', stage: 'dev', service: 'helloservice', repo: 'git@github.com:example/podtato-gitops.git', branch: 'main', file: 'apps/dev/helloservice.yaml', path: 'spec.values.image.tag', write: 'tag' }],
    credentials: { secretName: 'git-creds', tokenKey: '', sshKeyKey: 'identity' },
    fluxReceiverUrl: 'http://notification-controller.flux-system.svc/hook/abc'
  },
  extraEnv: [{ name: 'LOG_LEVEL', value: 'debug' }],
  serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
  prometheusRule: { enabled: true, labels: { release: 'prometheus' }, alertLabels: { team: 'delivery' } },
  grafanaDashboard: { enabled: true, namespace: 'monitoring', annotations: { grafana_folder: 'Keptn' } },
  networkPolicy: { enabled: true }
}
// The value sets the tests below render; each is linted too.
const valueSets: Record<string, Record<string, unknown>> = {
  defaults: {},
  everything,
  'one replica, memory store': { replicaCount: 1, redis: { urlFromSecret: false } },
  'no ServiceMonitor, no PDB': { serviceMonitor: { enabled: false }, podDisruptionBudget: { enabled: false } },
  '0 is a value': { config: { earlyResultWindow: 0 }, redis: { waitReplicas: 0 } },
  'rbac.namespaces': { rbac: { namespaces: ['podtato-dev', 'podtato-prod'] } },
  'no RBAC': { rbac: { create: false } },
  'observation off': { config: { observeInterval: '0' } },
  'Redis Cluster': { replicaCount: 1, redis: { urlFromSecret: false, clusterNodes: 'a:1,b:2' } },
  'Git credentials': { git: { credentials: { secretName: 'git-creds' } } },
  // null deletes a default in helm ({} would be merged with it and change nothing)
  'no preStop hook, no startup probe': { preStopDelaySeconds: 0, startupProbe: null, terminationGracePeriodSeconds: 10 },
  'the demo (deploy/demo/bridge-values.yaml)': one('deploy/demo/bridge-values.yaml')
}

/** A value set of valueSets, rendered under its name. */
const renderSet = (name: string): Rendered => render(valueSets[name]!, { name })
const defaults = renderSet('defaults')

t.test('the NetworkPolicy is on by default and lets in exactly the senders, each a value', async t => {
  const policy = byKind(defaults.documents, 'NetworkPolicy')[0]
  t.ok(policy, 'rendered with the defaults')
  const from = policy!.spec.ingress[0].from as Array<Record<string, any>>
  t.same(from.map(peer => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] ?? 'own namespace'),
    ['flux-system', 'argocd', 'keptn', 'monitoring', 'own namespace'])
  const without = render({ networkPolicy: { argocd: { namespace: '' }, prometheus: { namespace: 'obs', podLabels: { app: 'prom' } } } })
  const peers = byKind(without.documents, 'NetworkPolicy')[0]!.spec.ingress[0].from as Array<Record<string, any>>
  t.notOk(peers.some(peer => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'argocd'), 'an empty namespace leaves the sender out')
  t.ok(peers.some(peer => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'obs' && peer.podSelector?.matchLabels?.app === 'prom'))
})
const plain = [...docsOf('deploy/manifests/keptn-gitops-bridge.yaml'), ...docsOf('deploy/manifests/secret.yaml')]

t.test(`the pinned helm: ${HELM_VERSION}, assuming Kubernetes 1.36 without a cluster`, async t => {
  t.equal(run(helm, ['version', '--template', '{{.Version}}']).stdout, HELM_VERSION)
  const probe = join(work, 'capabilities')
  cpSync(chartDir, probe, { recursive: true })
  writeFileSync(join(probe, 'templates', 'kube-version.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kube-version\ndata:\n  version: {{ .Capabilities.KubeVersion.Version }}\n')
  const r = run(helm, ['template', 'x', probe, '--show-only', 'templates/kube-version.yaml'])
  t.equal(parseAllDocuments(r.stdout, 'kube-version.yaml')[0]?.data.version, 'v1.36.0', r.stderr)
})

t.test('helm lint --strict: every chart in deploy/, the bridge chart with every value set', async t => {
  t.ok(chartDirs.length >= 2, chartDirs.map(c => relative(root, c)).join(', '))
  for (const dir of chartDirs) {
    const r = run(helm, ['lint', '--strict', dir])
    t.equal(r.status, 0, `helm lint --strict ${relative(root, dir)}`, { output: r.stdout + r.stderr })
  }
  for (const [name, values] of Object.entries(valueSets)) {
    const r = run(helm, ['lint', '--strict', chartDir, '--namespace', 'keptn', ...valuesArgs(values)])
    t.equal(r.status, 0, `helm lint --strict with ${name}`, { output: r.stdout + r.stderr })
  }
})

t.test('every chart in deploy/ renders with its defaults into Kubernetes objects', async t => {
  for (const dir of chartDirs) {
    const rendered = render({}, { dir, release: 'test', namespace: 'test' })
    t.ok(rendered.documents.length > 0, `${relative(root, dir)} renders objects`)
    for (const doc of rendered.documents) t.ok(doc.apiVersion && doc.kind && doc.metadata?.name, `${relative(root, dir)}: ${doc.kind}/${doc.metadata?.name}`)
  }
})

t.test('the chart renders with every option switched on, and each option shows up', async t => {
  const r = renderSet('everything')
  t.same(kinds(r).sort(), ['ConfigMap', 'ConfigMap', 'ClusterRole', 'ClusterRoleBinding', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'PrometheusRule', 'Secret', 'Service', 'ServiceAccount', 'ServiceMonitor'].sort())
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
  const configMap = byKind(r.documents, 'ConfigMap').find(c => c.metadata.name === 'keptn-gitops-bridge')!
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
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flux-system' } }, podSelector: { matchLabels: { app: 'notification-controller' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'argocd' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'argocd-notifications-controller' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'keptn' } }, podSelector: {} },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } },
      { podSelector: {} }
    ]
  }], 'only Flux, Argo CD and the release namespace (Keptn) reach the port')
})

t.test('chart guards: more than one replica needs a shared Redis; sentinels need a name', async t => {
  t.throws(() => render({ redis: { urlFromSecret: false } }), /replicaCount > 1 needs a shared Redis/)
  t.throws(() => render({ redis: { urlFromSecret: false, sentinels: 'a:1' } }), /sentinelName/)
  // helm lint runs templates in lint mode, where `fail` is only logged ([INFO] Fail: …) and exits 0:
  // the guards hold at install / template time, which is what render() runs.
  const lint = run(helm, ['lint', '--strict', chartDir, ...valuesArgs({ redis: { urlFromSecret: false } })])
  t.match(lint.stdout + lint.stderr, /Fail: replicaCount > 1 needs a shared Redis/, 'helm lint shows the guard')
  const single = renderSet('one replica, memory store')
  t.notOk(kinds(single).includes('PodDisruptionBudget'), 'no PDB for one replica')
  t.notOk(containerOf(single.documents).env.some((e: Doc) => e.name === 'REDIS_URL'), 'one replica may use the memory store')
  t.same(kinds(renderSet('no ServiceMonitor, no PDB')).sort(),
    ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'NetworkPolicy', 'Service', 'ServiceAccount'].sort())
})

t.test('optional settings: unset by default so the service\'s defaults hold; 0 is a value, not unset', async t => {
  const names = ['KEPTN_PROJECTS', 'VERSION_MATCH', 'EARLY_RESULT_WINDOW', 'REDIS_WAIT_REPLICAS']
  const envOf = (r: Rendered) => new Map<string, Doc>(containerOf(r.documents).env.map((e: Doc) => [e.name, e]))
  const unset = envOf(defaults)
  for (const name of names) t.notOk(unset.has(name), `${name} is not set by default`)
  const zero = envOf(renderSet('0 is a value'))
  t.equal(zero.get('EARLY_RESULT_WINDOW')?.value, '0', 'earlyResultWindow 0 turns holding off')
  t.equal(zero.get('REDIS_WAIT_REPLICAS')?.value, '0', 'waitReplicas 0 turns WAIT off (the default with sentinels is 1)')
})

t.test('chart defaults: 2 replicas, PDB on, NetworkPolicy on, ServiceMonitor off, no ConfigMap, no Secret', async t => {
  t.same(kinds(defaults).sort(), ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'ServiceAccount'].sort())
  t.equal(deploymentOf(defaults.documents).spec.replicas, 2)
  const pdb = byKind(defaults.documents, 'PodDisruptionBudget')[0]!
  t.same(pdb.spec.selector.matchLabels, deploymentOf(defaults.documents).spec.selector.matchLabels, 'the PDB selects the pods')
  const service = byKind(defaults.documents, 'Service')[0]!
  t.same(service.spec.ports, [{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }])
  t.same(service.spec.selector, deploymentOf(defaults.documents).spec.selector.matchLabels, 'the Service selects the pods')
  t.match(renderNotes(), 'http://keptn-gitops-bridge.keptn.svc:8080/hooks/flux', 'NOTES.txt renders and names the Flux address')
})

t.test('chart (defaults): the Deployment is probed, locked down and gets its secrets from the Secret', async t => {
  checkDeployment(t, defaults.documents)
})

t.test('chart (defaults): RBAC grants get on the Flux kinds and list on the observed ones, nothing else', async t => {
  checkRbac(t, defaults.documents)
  const off = renderSet('observation off')
  checkRbac(t, off.documents, { observe: false })
  t.ok(envNames(off.documents).includes('OBSERVE_INTERVAL'))
})

t.test('rbac.namespaces: a Role and RoleBinding per namespace instead of a ClusterRole', async t => {
  const r = renderSet('rbac.namespaces')
  t.notOk(kinds(r).includes('ClusterRole'))
  const roles = byKind(r.documents, 'Role')
  t.same(roles.map(x => x.metadata.namespace), ['podtato-dev', 'podtato-prod'])
  for (const role of roles) checkRules(t, role)
  t.same(byKind(r.documents, 'RoleBinding').map(b => [b.metadata.namespace, b.roleRef.kind, b.subjects[0].namespace]),
    [['podtato-dev', 'Role', 'keptn'], ['podtato-prod', 'Role', 'keptn']])
  t.notOk(kinds(renderSet('no RBAC')).some(k => k.includes('Role')), 'rbac.create false: no RBAC')
  const env = containerOf(r.documents).env as Array<{ name: string, value?: string }>
  t.same(env.find(e => e.name === 'OBSERVE_NAMESPACES'), { name: 'OBSERVE_NAMESPACES', value: 'podtato-dev,podtato-prod' }, 'observation lists only where the Roles grant it')
})

t.test('every environment variable in the chart and the manifests is one the service reads', async t => {
  const source = ['app', 'plugins'].flatMap(dir => walk(join(root, dir))).filter(p => p.endsWith('.ts')).map(p => readFileSync(p, 'utf8')).join('\n')
  const variants = [defaults, renderSet('everything'), renderSet('Redis Cluster'), renderSet('Git credentials'), renderSet('rbac.namespaces')]
  const seen = new Set<string>([...variants.map(v => v.documents), plain].flatMap(envNames))
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

t.test('Chart.yaml: the image tag defaults to appVersion, the package version', async t => {
  const pkg = JSON.parse(read('package.json')) as { version: string }
  t.match(containerOf(defaults.documents).image, new RegExp(`:${pkg.version.replaceAll('.', '\\.')}$`))
})

t.test('deploy/manifests/keptn-gitops-bridge.yaml is what deploy/manifests/generate.sh renders now', async t => {
  const fresh = run('bash', [join(deploy, 'manifests', 'generate.sh'), '-'])
  t.equal(fresh.status, 0, fresh.stderr)
  t.ok(fresh.stdout === read('deploy/manifests/keptn-gitops-bridge.yaml'), 'byte for byte: run bash deploy/manifests/generate.sh after a chart change')
  // the same objects as the chart with defaults, minus helm's own labels
  const stripHelm = (doc: Doc): Doc => {
    const copy = structuredClone(doc)
    for (const labels of [copy.metadata?.labels, copy.spec?.template?.metadata?.labels]) {
      if (labels) { delete labels['helm.sh/chart']; delete labels['app.kubernetes.io/managed-by'] }
    }
    return copy
  }
  t.same(docsOf('deploy/manifests/keptn-gitops-bridge.yaml'), defaults.documents.map(stripHelm))
  t.notMatch(read('deploy/manifests/keptn-gitops-bridge.yaml'), /helm\.sh\/chart|managed-by/, 'no helm labels: kubectl, not helm, manages these')
})

for (const file of ['deploy/flux/helmrelease-example.yaml', 'deploy/demo/gitops/apps/dev/helloservice.yaml']) {
  t.test(`${file}: the demo chart it names renders its values`, async t => {
    const hr = one(file)
    const chart = join(demo, 'gitops', hr.spec.chart.spec.chart)
    const rendered = render(hr.spec.values, { dir: chart, release: hr.spec.releaseName, namespace: hr.metadata.namespace, name: `${relative(root, chart)} with the values of ${file}` })
    t.equal(containerOf(rendered.documents).image, 'ghcr.io/podtato-head/podtato-server:v0.3.1')
  })
}

t.test('the demo values render', async t => {
  t.doesNotThrow(() => renderSet('the demo (deploy/demo/bridge-values.yaml)'), 'deploy/demo/bridge-values.yaml')
})

t.test('values.schema.json: helm refuses misspelt keys, wrong types and values the service refuses', async t => {
  // each is one mistake on top of the defaults; helm names the key in its error
  const refused: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a misspelt top-level key', { replicaCont: 2 }, /additional properties 'replicaCont' not allowed/],
    ['a misspelt nested key', { config: { loglevel: 'debug' } }, /at '\/config': additional properties 'loglevel' not allowed/],
    ['a misspelt key in a sender', { networkPolicy: { flux: { podLabel: { app: 'x' } } } }, /at '\/networkPolicy\/flux': additional properties 'podLabel' not allowed/],
    ['a misspelt key in a mapping rule', { mapping: { rules: [{ match: { name: 'x' }, servce: 'a' }] } }, /at '\/mapping\/rules\/0': additional properties 'servce' not allowed/],
    ['a misspelt key in a Git target', { git: { targets: [{ project: 'p', repo: 'r', brnch: 'main' }] } }, /at '\/git\/targets\/0': additional properties 'brnch' not allowed/],
    ['a misspelt key of the new sections', { prometheusRule: { enable: true } }, /at '\/prometheusRule': additional properties 'enable' not allowed/],
    ['a string for a number', { replicaCount: 'two' }, /at '\/replicaCount': got string, want integer/],
    ['a string for a boolean', { config: { keptnRegister: 'yes' } }, /at '\/config\/keptnRegister': got string, want boolean/],
    ['a number for an annotation value', { podAnnotations: { 'example.com/a': 1 } }, /at '\/podAnnotations\/example\.com~1a': got number, want string/],
    ['a map for a list', { extraEnv: { RETENTION: '14d' } }, /at '\/extraEnv': got object, want array/],
    ['a float image tag (1.10 read as 1.1)', { image: { tag: 1.1 } }, /at '\/image\/tag': got number, want integer or string/],
    ['an env value that is no string', { extraEnv: [{ name: 'RETENTION', value: 14 }] }, /at '\/extraEnv\/0\/value': got number, want string/],
    ['a log level the service does not know', { config: { logLevel: 'verbose' } }, /at '\/config\/logLevel': value must be one of 'fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'/],
    ['a version match the service does not know', { config: { versionMatch: 'loose' } }, /at '\/config\/versionMatch': value must be one of '', 'strict', 'prefer'/],
    ['a duration the service cannot parse', { config: { deploymentTimeout: '15 minutes' } }, /at '\/config\/deploymentTimeout'/],
    ['0 where the service refuses it', { config: { deploymentTimeout: '0' } }, /at '\/config\/deploymentTimeout'/],
    ['a Keptn URL without http(s)', { config: { keptnApiUrl: 'api-gateway-nginx.keptn.svc' } }, /at '\/config\/keptnApiUrl'/],
    ['a pull policy Kubernetes does not know', { image: { pullPolicy: 'Sometimes' } }, /at '\/image\/pullPolicy': value must be one of/],
    ['a negative preStop delay', { preStopDelaySeconds: -1 }, /at '\/preStopDelaySeconds': minimum: got -1, want 0/],
    ['a Secret key Kubernetes refuses', { secret: { create: true, values: { 'FLUX HMAC': 'x' } } }, /'FLUX HMAC' does not match pattern/],
    ['a Prometheus duration that is none', { serviceMonitor: { interval: '30 seconds' } }, /at '\/serviceMonitor\/interval'/]
  ]
  for (const [name, values, reason] of refused) {
    const r = run(helm, ['template', 'keptn-gitops-bridge', chartDir, '--namespace', 'keptn', ...valuesArgs(values)])
    t.not(r.status, 0, `${name}: helm template fails`)
    t.match(r.stderr, /values don't meet the specifications of the schema/, `${name}: refused by the schema`)
    t.match(r.stderr, reason, `${name}: the error names the key`)
  }
  const lint = run(helm, ['lint', '--strict', chartDir, ...valuesArgs({ replicaCont: 2 })])
  t.equal(lint.status, 1, 'helm lint fails on it too', { output: lint.stdout })
  // what the schema must still take: 0 from --set (a number), numbers as strings, the documented forms
  const accepted: Array<[string, string[]]> = [
    ['--set config.observeInterval=0', ['--set', 'config.observeInterval=0']],
    ['--set config.maxEventLoopDelay=0', ['--set', 'config.maxEventLoopDelay=0']],
    ['--set redis.waitReplicas=2', ['--set', 'redis.waitReplicas=2']],
    ['--set image.tag=1.10 (helm keeps it a string)', ['--set', 'image.tag=1.10']],
    ['--set image.tag=123 (a build number)', ['--set', 'image.tag=123']],
    ['--set podDisruptionBudget.minAvailable=50%', ['--set', 'podDisruptionBudget.minAvailable=50%']],
    ['--set tmpSizeLimit=2Gi', ['--set', 'tmpSizeLimit=2Gi']],
    ['--set config.keptnProjects=a\\,b', ['--set', 'config.keptnProjects=a\\,b']],
    ['--set secret.create=true --set secret.values.FLUX_HMAC_KEYS=k', ['--set', 'secret.create=true', '--set', 'secret.values.FLUX_HMAC_KEYS=k']]
  ]
  for (const [name, args] of accepted) t.doesNotThrow(() => render({}, { args, name: `helm template ${name}` }), name)
  const zero = render({}, { args: ['--set', 'config.maxEventLoopDelay=0'], name: 'maxEventLoopDelay 0 from --set' })
  t.same(containerOf(zero.documents).env.find((e: Doc) => e.name === 'MAX_EVENT_LOOP_DELAY'), { name: 'MAX_EVENT_LOOP_DELAY', value: '0' }, 'the number 0 is a value (never), not unset')
})

t.test('values.schema.json: the chart still works as a dependency (helm passes `global`)', async t => {
  const umbrella = join(work, 'umbrella')
  rmSync(umbrella, { recursive: true, force: true })
  cpSync(chartDir, join(umbrella, 'charts', 'keptn-gitops-bridge'), { recursive: true })
  const version = one('deploy/chart/keptn-gitops-bridge/Chart.yaml').version as string
  writeFileSync(join(umbrella, 'Chart.yaml'), `apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n  - name: keptn-gitops-bridge\n    version: ${version}\n`)
  writeFileSync(join(umbrella, 'values.yaml'), 'global:\n  imageRegistry: example.com\n')
  const rendered = render({}, { dir: umbrella, name: 'the chart as a dependency, with global values' })
  t.ok(kinds(rendered).includes('Deployment'))
  const r = run(helm, ['template', 'x', umbrella, ...valuesArgs({ 'keptn-gitops-bridge': { config: { logLevel: 'verbose' } } })])
  t.match(r.stderr, /at '\/config\/logLevel'/, 'and checks the values given to it')
})

t.test('checksum/secret: pods roll when the chart\'s own Secret changes, and only then', async t => {
  const annotations = (values: Record<string, unknown>) => deploymentOf(render(values).documents).spec.template.metadata.annotations ?? {}
  t.notOk('checksum/secret' in annotations({}), 'no Secret from the chart, no checksum')
  t.notOk('checksum/secret' in annotations({ secret: { values: { FLUX_HMAC_KEYS: 'a' } } }), 'values without secret.create create nothing')
  const a = annotations({ secret: { create: true, values: { FLUX_HMAC_KEYS: 'a', REDIS_URL: 'redis://r:6379' } } })['checksum/secret']
  const b = annotations({ secret: { create: true, values: { FLUX_HMAC_KEYS: 'b', REDIS_URL: 'redis://r:6379' } } })['checksum/secret']
  t.match(a, /^[0-9a-f]{64}$/)
  t.not(a, b, 'a changed value changes the checksum')
  t.equal(annotations({ secret: { create: true, values: { REDIS_URL: 'redis://r:6379', FLUX_HMAC_KEYS: 'a' } } })['checksum/secret'], a, 'key order does not matter')
  t.match(deploymentOf(renderSet('everything').documents).spec.template.metadata.annotations, { 'checksum/secret': /^[0-9a-f]{64}$/, 'checksum/config': /^[0-9a-f]{64}$/ })
})

t.test('graceful stop: a preStop delay before SIGTERM, a grace period that covers it and the drain; a startup probe', async t => {
  const pod = (r: Rendered) => deploymentOf(r.documents).spec.template.spec
  const container = containerOf(defaults.documents)
  t.same(container.lifecycle, { preStop: { sleep: { seconds: 5 } } }, 'the sleep action (Kubernetes 1.30+): no shell needed')
  t.ok(pod(defaults).terminationGracePeriodSeconds >= 5 + 10, 'grace period >= preStop delay + the service\'s 10 s drain')
  t.same(container.startupProbe, { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 24 })
  t.ok(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold >= 60, 'at least a minute to start')
  // before 1.30 there is no sleep action: exec sleep (the Debian-based image has it)
  const old = render({}, { args: ['--kube-version', '1.29.0'], name: 'defaults on Kubernetes 1.29' })
  t.same(containerOf(old.documents).lifecycle, { preStop: { exec: { command: ['sleep', '5'] } } }, 'exec sleep on Kubernetes 1.29')
  t.match(read('deploy/Dockerfile'), /^ARG NODE_IMAGE=node:24-bookworm-slim$/m, 'the image has /bin/sleep (Debian, coreutils) for that case')
  const longer = containerOf(render({ preStopDelaySeconds: 20, terminationGracePeriodSeconds: 45 }).documents)
  t.same(longer.lifecycle.preStop.sleep, { seconds: 20 })
  const none = renderSet('no preStop hook, no startup probe')
  t.notOk(containerOf(none.documents).lifecycle, 'preStopDelaySeconds 0: no hook')
  t.notOk(containerOf(none.documents).startupProbe, 'startupProbe null: none')
  t.equal(pod(none).terminationGracePeriodSeconds, 10)
  t.throws(() => render({ terminationGracePeriodSeconds: 12 }), /terminationGracePeriodSeconds \(12\) must be at least preStopDelaySeconds \(5\) \+ 10/)
  t.throws(() => render({ preStopDelaySeconds: 25 }), /terminationGracePeriodSeconds \(30\) must be at least preStopDelaySeconds \(25\) \+ 10/)
  const https = containerOf(render({ tls: { secretName: 'bridge-tls' } }).documents)
  t.equal(https.startupProbe.httpGet.scheme, 'HTTPS', 'with TLS the startup probe uses HTTPS too')
  t.same(docsOf('deploy/manifests/keptn-gitops-bridge.yaml').find(d => d.kind === 'Deployment')!.spec.template.spec.containers[0].lifecycle, container.lifecycle, 'deploy/manifests has the hook')
})

t.test('NOTES.txt warns while image.repository is the unpublished default, and says how to build it', async t => {
  const warned = renderNotes()
  t.match(warned, /^WARNING: image\.repository is still the chart default \(ghcr\.io\/keptn-sandbox\/keptn-gitops-bridge\)/)
  for (const text of ['docker build -f deploy/Dockerfile -t <registry>/keptn-gitops-bridge:0.1.0 .', 'docker push', 'kind load docker-image keptn-gitops-bridge:dev', '--set image.repository=']) {
    t.ok(warned.includes(text), `says: ${text}`)
  }
  const own = renderNotes({ image: { repository: 'registry.example.com/keptn-gitops-bridge', tag: '0.1.0' } })
  t.notMatch(own, /WARNING/, 'no warning with an image of your own')
  t.match(own, /^keptn-gitops-bridge is listening on/)
  t.match(renderNotes({ image: { tag: '1.2.3' } }), /keptn-gitops-bridge:1\.2\.3 \./, 'the commands use the chosen tag')
})

t.test('PrometheusRule: off by default; the alerts, on the bridge\'s own metrics only', async t => {
  t.notOk(kinds(defaults).includes('PrometheusRule'))
  const rule = byKind(renderSet('everything').documents, 'PrometheusRule')[0]!
  t.equal(rule.apiVersion, 'monitoring.coreos.com/v1')
  t.equal(rule.metadata.labels.release, 'prometheus', 'prometheusRule.labels')
  const alerts = (rule.spec.groups as Doc[]).flatMap(g => g.rules as Doc[])
  t.same(alerts.map(a => [a.alert, a.expr, a.for ?? '', a.labels.severity]), [
    ['KeptnGitopsBridgeDeadLetters', 'increase(kgb_dead_letters_total[15m]) > 0', '', 'warning'],
    ['KeptnGitopsBridgeOutboxGrowing', 'kgb_outbox_depth > 100 and deriv(kgb_outbox_depth[10m]) > 0', '10m', 'warning'],
    ['KeptnGitopsBridgeStoreDown', 'kgb_store_up == 0', '2m', 'critical'],
    ['KeptnGitopsBridgeDeadlineExpiries', 'increase(kgb_deadline_expiries_total[30m]) > 0', '', 'warning'],
    ['KeptnGitopsBridgeHttpErrors', 'sum by (namespace, job) (rate(kgb_http_requests_total{status="500"}[5m])) > 0', '10m', 'warning']
  ])
  for (const alert of alerts) {
    const names = metricNames(alert.expr)
    t.ok(names.length > 0 && names.every(isKgbSeries), `${alert.alert}: only the bridge's metrics (${names.join(', ')})`)
    t.equal(alert.labels.team, 'delivery', `${alert.alert}: prometheusRule.alertLabels`)
    t.ok(alert.annotations.summary && alert.annotations.description, `${alert.alert}: summary and description`)
    t.match(alert.annotations.description, /\{\{ \$labels\.\w+ \}\}/, `${alert.alert}: Prometheus templates reach Prometheus unrendered`)
  }
  t.notMatch(alerts.find(a => a.alert === 'KeptnGitopsBridgeHttpErrors')!.expr, /5\.\.|503/, '503 (store away, overload) is expected and left out')
  const page = byKind(render({ prometheusRule: { enabled: true, alertLabels: { severity: 'page' } } }).documents, 'PrometheusRule')[0]!
  t.ok((page.spec.groups[0].rules as Doc[]).every(a => a.labels.severity === 'page'), 'alertLabels may replace the severity (no duplicate key)')
})

t.test('Grafana dashboard: off by default; a ConfigMap for the sidecar with the chart\'s JSON file', async t => {
  t.notOk(byKind(defaults.documents, 'ConfigMap').length, 'no ConfigMap by default')
  const cm = byKind(renderSet('everything').documents, 'ConfigMap').find(c => c.metadata.name === 'keptn-gitops-bridge-dashboard')!
  t.ok(cm, 'rendered')
  t.equal(cm.metadata.labels.grafana_dashboard, '1', 'the kube-prometheus-stack sidecar label')
  t.equal(cm.metadata.namespace, 'monitoring', 'grafanaDashboard.namespace')
  t.same(cm.metadata.annotations, { grafana_folder: 'Keptn' })
  t.same(Object.keys(cm.data), ['keptn-gitops-bridge.json'])
  const file = read('deploy/chart/keptn-gitops-bridge/dashboards/keptn-gitops-bridge.json')
  t.equal(cm.data['keptn-gitops-bridge.json'], file.trimEnd(), 'the JSON file of the chart, unchanged')
  t.same(JSON.parse(cm.data['keptn-gitops-bridge.json']), JSON.parse(file), 'parses')
  const own = byKind(render({ grafanaDashboard: { enabled: true } }).documents, 'ConfigMap')[0]!
  t.equal(own.metadata.namespace, 'keptn', 'the release namespace by default')
})

t.test('every kustomization.yaml in deploy/ builds with kustomize into the objects it lists, which decode strictly', async t => {
  const folders = walk(deploy).filter(p => p.endsWith('/kustomization.yaml')).map(p => relative(root, p).replace(/\/kustomization\.yaml$/, ''))
  t.same(folders.sort(), ['deploy/argocd', 'deploy/flux', 'deploy/manifests'], 'kubectl apply -k works on these folders')
  for (const folder of folders) {
    t.test(folder, async t => {
      const built = run(kustomizeBuild, [join(root, folder)])
      t.equal(built.status, 0, `kustomize build ${folder}`, { output: built.stderr })
      const objects = parseAllDocuments(built.stdout, `kustomize build ${folder}`)
      const kustomization = one(`${folder}/kustomization.yaml`)
      const listed = (kustomization.resources as string[]).flatMap(f => docsOf(`${folder}/${f}`))
      const id = (d: Doc) => `${d.apiVersion} ${d.kind} ${d.metadata.namespace ?? kustomization.namespace}/${d.metadata.name}`
      t.same(objects.map(id).sort(), listed.map(id).sort(), 'exactly the objects of the listed files')
      checkDecodes(t, `kustomize build ${folder}`, built.stdout, objects.length)
    })
  }
  const broken = join(work, 'broken-kustomization')
  cpSync(join(deploy, 'flux'), broken, { recursive: true })
  rmSync(join(broken, 'alert.yaml'))
  const r = run(kustomizeBuild, [broken])
  t.equal(r.status, 1, 'a listed file that is missing fails the build')
  t.match(r.stderr, /alert\.yaml/)
})

t.test('kube-decode is strict: unknown fields, wrong types and unknown kinds fail', async t => {
  const deployment = (spec: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n${spec}`
  const template = '  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers: [{name: c, image: i}]\n'
  const good = decode(deployment('  replicas: 2\n' + template) + '\n---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n')
  t.same([good.status, good.ok.length, good.fail.length], [0, 2, 0], good.stdout)
  t.match(good.ok[0], /^OK <stdin>\[0\] apps\/v1 Deployment d \(k8s\.io\/api\/apps\/v1\.Deployment\)$/)
  const cases: Array<[string, string, RegExp]> = [
    ['unknown field', deployment('  replica: 2\n' + template), /unknown field "spec\.replica"/],
    ['field names are case-sensitive', deployment('  Replicas: 2\n' + template), /unknown field "spec\.Replicas"/],
    ['nested unknown field', deployment(template.replace('image: i', 'image: i, imagePullPolice: Always')), /unknown field "spec\.template\.spec\.containers\[0\]\.imagePullPolice"/],
    ['wrong type', deployment('  replicas: "2"\n' + template), /cannot unmarshal string/],
    ['duplicate key', deployment('  replicas: 2\n  replicas: 3\n' + template), /key "replicas" already set in map/],
    ['bad quantity', deployment(template.replace('image: i', 'image: i, resources: {limits: {memory: 1Gb}}')), /quantit/],
    ['unknown kind', 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n', /no Go type known for example\.com\/v1, Kind=Widget/],
    ['unknown version of a known group', 'apiVersion: apps/v2\nkind: Deployment\nmetadata: {name: d}\n', /no Go type known/],
    ['a version Kubernetes no longer serves', 'apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: p}\n', /no longer served since Kubernetes 1\.25/],
    ['no kind', 'apiVersion: v1\nmetadata: {name: x}\n', /apiVersion and kind are required/],
    ['no name', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: x}\n', /metadata\.name is empty/],
    ['an options kind is no object', 'apiVersion: v1\nkind: DeleteOptions\n', /not an object kind/],
    ['a HelmRelease field Flux does not have', 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: h}\nspec:\n  interval: 5m\n  chart: {spec: {chart: c, sourceRef: {kind: GitRepository, name: g}, reconcile: Revision}}\n', /unknown field "spec\.chart\.spec\.reconcile"/],
    ['an Alert field Flux does not have', 'apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nmetadata: {name: a}\nspec:\n  providerRef: {name: p}\n  eventSources: [{kind: HelmRelease, name: "*", namespaces: x}]\n', /unknown field "spec\.eventSources\[0\]\.namespaces"/],
    ['an Application field Argo CD does not have', 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec:\n  project: default\n  destination: {server: "https://kubernetes.default.svc", namespace: x}\n  source: {repoURL: r, path: p, targetRevisions: HEAD}\n', /unknown field "spec\.source\.targetRevisions"/],
    ['a ServiceMonitor field prometheus-operator does not have', 'apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: s}\nspec:\n  selector: {}\n  endpoints: [{port: http, scrapeInterval: 30s}]\n', /unknown field "spec\.endpoints\[0\]\.scrapeInterval"/],
    ['a kustomization field kustomize does not have', 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresource: [a.yaml]\n', /unknown field "resource"/]
  ]
  for (const [name, yaml, reason] of cases) {
    const d = decode(yaml)
    t.equal(d.status, 1, `${name}: exit 1`)
    t.equal(d.fail.length, 1, `${name}: FAIL`)
    t.match(d.fail[0] ?? d.stdout, reason, name)
  }
  const usage = run(kubeDecode, [join(work, 'missing.yaml')])
  t.equal(usage.status, 2, 'a missing file is an error')
})

// Not Kubernetes objects, and why: kube-decode only knows Kubernetes kinds.
const notKubernetes: Record<string, string> = {
  'deploy/examples/mapping.yaml': 'the bridge\'s MAPPING_FILE (checked by its own parser in tests/deploy/manifests.test.ts)',
  'deploy/demo/git-targets.yaml': 'the bridge\'s GIT_TARGETS file (checked by its own parser in tests/deploy/manifests.test.ts)',
  'deploy/demo/bridge-values.yaml': 'helm values for deploy/chart (rendered and decoded here as a value set)',
  'deploy/demo/shipyard.yaml': 'Keptn\'s shipyard (spec.keptn.sh), read by the Keptn control plane, not by Kubernetes',
  'deploy/demo/shipyard-with-tests.yaml': 'Keptn\'s shipyard, the variant with a test task (checked in tests/deploy/manifests.test.ts)',
  'deploy/demo/keptn-values.yaml': 'helm values for Keptn\'s own chart (keptn/keptn 1.4.5), not of this repository (checked in tests/deploy/manifests.test.ts)',
  'deploy/demo/job-executor-config.yaml': 'job-executor-service\'s job configuration, a Keptn resource (checked in tests/deploy/manifests.test.ts)'
}
const isChartFile = (path: string) => chartDirs.some(c => path.startsWith(c + '/'))

t.test('every Kubernetes YAML file in deploy/flux, deploy/argocd, deploy/demo, deploy/manifests and deploy/examples decodes strictly', async t => {
  const files = ['flux', 'argocd', 'demo', 'manifests', 'examples'].flatMap(dir => walk(join(deploy, dir)))
    .filter(p => /\.ya?ml$/.test(p) && !isChartFile(p)).map(p => relative(root, p))
  for (const skipped of Object.keys(notKubernetes)) t.ok(files.includes(skipped), `${skipped} exists (skipped: ${notKubernetes[skipped]})`)
  t.ok(chartDirs.some(c => relative(root, c) === 'deploy/demo/gitops/charts/helloservice'), 'deploy/demo/gitops/charts/helloservice: a chart (Chart.yaml, values.yaml, templates): linted, rendered and decoded above')
  const decoded = files.filter(f => !Object.hasOwn(notKubernetes, f))
  t.ok(decoded.length >= 12, `${decoded.length} files`)
  for (const file of decoded) {
    t.test(file, async t => checkDecodes(t, file, read(file), docsOf(file).length, file))
  }
})

t.test('every object helm rendered above, for every value set, decodes strictly', async t => {
  for (const name of Object.keys(valueSets)) t.ok(renders.some(r => r.name === name), `value set "${name}" was rendered`)
  t.ok(renders.length > Object.keys(valueSets).length, `${renders.length} renders`)
  for (const r of renders) {
    t.test(r.name, async t => checkDecodes(t, r.name, r.text, r.documents.length))
  }
})
