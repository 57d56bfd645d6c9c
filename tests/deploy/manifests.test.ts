// Checks deploy/ the way a user would trip over it, without helm (this runs in `npm test`): every
// YAML parses, the committed plain manifests are locked down, the wiring between Flux / Argo CD /
// the bridge lines up, the chart's values are documented, and nothing names an environment
// variable the service does not read.
//
// Rendering the chart is real helm's job: tests/peers/helm.test.ts (`npm run test:peers`) lints and
// renders it, decodes every object strictly into the upstream Go types, and checks that
// deploy/manifests/keptn-gitops-bridge.yaml is a fresh render (deploy/manifests/generate.sh).
import t, { type Test } from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { byKind, checkDeployment, checkRbac, containerOf, deploymentOf, envNames, knownEnv, parseAllDocuments, root, deploy, read, docsOf, one, walk, chartDirs, kgbMetrics, isKgbSeries, metricNames, type Doc } from './helpers/deploy.js'
import { parseMappingRules } from '../../app/core/mapping/mapping-file.js'
import { parseGitTargets } from '../../app/core/gitops/targets.js'
import { parseDuration } from '../../app/core/duration.js'
import { logLevels, versionMatches } from '../../schemas/config.js'

const chartDir = join(deploy, 'chart', 'keptn-gitops-bridge')
const demo = join(deploy, 'demo')
const isTemplate = (path: string) => chartDirs.some(c => path.startsWith(join(c, 'templates') + '/'))
const yamlFiles = walk(deploy).filter(p => /\.ya?ml$/.test(p) && !isTemplate(p)).map(p => relative(root, p))

const plain = [...docsOf('deploy/manifests/keptn-gitops-bridge.yaml'), ...docsOf('deploy/manifests/secret.yaml')]

t.test('the YAML reader refuses what would not read the same in Kubernetes', async t => {
  t.throws(() => parseAllDocuments('defaultMode: 0440\n', 'x.yaml'), /x\.yaml: "defaultMode: 0440" is octal in YAML 1\.1/)
  t.throws(() => parseAllDocuments('a: [\n', 'x.yaml'), /^x\.yaml: /)
  t.throws(() => parseAllDocuments('- a\n', 'x.yaml'), /a document is not a map/)
  t.same(parseAllDocuments('---\n# only a comment\n---\na: 1\n', 'x.yaml'), [{ a: 1 }])
  t.throws(() => deploymentOf([]), /expected one Deployment, found 0/)
})

t.test('every YAML file in deploy/ parses (multi-document, no YAML 1.1 octal ambiguity)', async t => {
  t.ok(yamlFiles.length >= 20, `found ${yamlFiles.length} files`)
  for (const file of yamlFiles) {
    t.doesNotThrow(() => docsOf(file), file)
  }
  for (const file of yamlFiles.filter(f => !f.includes('/chart/') && !f.includes('/charts/'))) {
    for (const doc of docsOf(file)) {
      // not Kubernetes objects: service config files, kustomize's own file, Keptn's shipyard
      if (['mapping.yaml', 'git-targets.yaml', 'bridge-values.yaml', 'keptn-values.yaml', 'job-executor-config.yaml'].some(n => file.endsWith(n)) && !doc.kind) continue
      if (doc.kind === 'Shipyard' || String(doc.apiVersion).startsWith('kustomize.config.k8s.io/')) continue
      t.ok(doc.apiVersion && doc.kind && doc.metadata?.name, `${file}: ${doc.kind}/${doc.metadata?.name} has apiVersion, kind, metadata.name`)
    }
  }
})

// The same checks run on fresh helm output in tests/peers/helm.test.ts.
t.test('deploy/manifests: the Deployment is probed, locked down and gets its secrets from the Secret', async t => {
  checkDeployment(t, plain)
})

t.test('deploy/manifests: RBAC grants get on the Flux kinds and list on the observed ones, nothing else', async t => {
  checkRbac(t, plain)
})

// The chart's variants (every option on, Redis Cluster, …) and whether the chart can set every
// variable are checked on helm's output in tests/peers/helm.test.ts.
t.test('every environment variable in the manifests and the Dockerfile is one the service reads', async t => {
  const source = ['app', 'plugins'].flatMap(dir => walk(join(root, dir))).filter(p => p.endsWith('.ts')).map(p => readFileSync(p, 'utf8')).join('\n')
  const seen = new Set<string>(envNames(plain))
  for (const doc of docsOf('deploy/manifests/secret.yaml')) for (const key of Object.keys(doc.stringData ?? {})) seen.add(key)
  const dockerEnv = /^ENV\s+([\s\S]*?)(?:\n\n|\n[A-Z])/m.exec(read('deploy/Dockerfile'))?.[1] ?? ''
  for (const m of dockerEnv.matchAll(/([A-Z_]+)=/g)) seen.add(m[1]!)
  t.ok(seen.size > 15, `${seen.size} names`)
  for (const name of seen) {
    t.ok(knownEnv.has(name), `${name} is a known variable`)
    t.ok(source.includes(`'${name}'`) || source.includes(`.${name}`), `${name} is read somewhere in app/ or plugins/`)
  }
})

t.test('values.yaml: every value a template uses exists, is used, is commented and is in the README', async t => {
  const values = parseYaml(read('deploy/chart/keptn-gitops-bridge/values.yaml')) as Doc
  const templateDir = join(chartDir, 'templates')
  const text = readdirSync(templateDir).sort().filter(f => /\.(ya?ml|tpl|txt)$/.test(f)).map(f => readFileSync(join(templateDir, f), 'utf8')).join('\n')
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
  // deploy/manifests is the chart rendered with its defaults (tests/peers/helm.test.ts keeps it so)
  t.match(containerOf(plain).image, new RegExp(`:${pkg.version.replaceAll('.', '\\.')}$`))
})

t.test('deploy/manifests: the kustomization applies the Secret and the generated manifests into keptn', async t => {
  const kustomization = one('deploy/manifests/kustomization.yaml')
  for (const resource of kustomization.resources) t.ok(existsSync(join(deploy, 'manifests', resource)), `kustomization resource ${resource} exists`)
  t.equal(kustomization.namespace, 'keptn')
  t.match(read('deploy/manifests/keptn-gitops-bridge.yaml'), /^# Generated by deploy\/manifests\/generate\.sh/m, 'keptn-gitops-bridge.yaml says how it is made')
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
    // the chart it names exists in the demo GitOps repository (tests/peers/helm.test.ts renders it with these values)
    const chart = join(demo, 'gitops', hr.spec.chart.spec.chart)
    t.ok(existsSync(join(chart, 'Chart.yaml')), `${hr.spec.chart.spec.chart} exists in deploy/demo/gitops`)
  })
}

t.test('the example HelmReleases are the same object', async t => {
  t.same(one('deploy/flux/helmrelease-example.yaml'), one('deploy/demo/gitops/apps/dev/helloservice.yaml'))
})

t.test('mapping.yaml and git-targets.yaml are accepted by the service\'s own parsers', async t => {
  const rules = parseMappingRules(read('deploy/examples/mapping.yaml'), 'deploy/examples/mapping.yaml')
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
  // that helm renders the chart with them: tests/peers/helm.test.ts
})

// Who takes each task in the demo (Keptn 1.4.5's chart installs no tester and no helm-service):
// `deployment` keptn-gitops-bridge, `evaluation` lighthouse-service, `approval` approval-service.
// Not `test` (no tester: Keptn waits 10 minutes for its .started, then fails the sequence) nor
// `release` (only keptn-contrib's helm-service takes it).
const demoTakers: Record<string, string> = {
  deployment: 'keptn-gitops-bridge',
  evaluation: 'lighthouse-service',
  approval: 'approval-service'
}
const sequencesOf = (shipyard: Doc, stage: string) => new Map<string, Doc[]>(
  shipyard.spec.stages.find((s: Doc) => s.name === stage).sequences.map((s: Doc) => [s.name, s.tasks as Doc[]]))
const taskNames = (tasks: Doc[] | undefined) => (tasks ?? []).map(x => x.name)

t.test('the demo shipyard has dev with delivery (deployment, evaluation) and evaluation, every task with a taker', async t => {
  const shipyard = one('deploy/demo/shipyard.yaml')
  t.equal(shipyard.kind, 'Shipyard')
  t.match(shipyard.apiVersion, /^spec\.keptn\.sh\/0\.2\.\d$/)
  const sequences = sequencesOf(shipyard, 'dev')
  t.same(taskNames(sequences.get('delivery')), ['deployment', 'evaluation'])
  t.same(taskNames(sequences.get('evaluation')), ['evaluation'])
  for (const stage of shipyard.spec.stages as Doc[]) {
    for (const sequence of stage.sequences as Doc[]) {
      for (const task of sequence.tasks as Doc[]) {
        t.ok(Object.hasOwn(demoTakers, task.name), `${stage.name}.${sequence.name}: task ${task.name} has a taker in the demo (${demoTakers[task.name] ?? 'none'})`)
      }
    }
  }
  const values = one('deploy/demo/bridge-values.yaml')
  t.ok(sequences.has(values.config.triggerSequence), 'TRIGGER_SEQUENCE of the demo is a sequence of the shipyard')
  t.equal(values.config.keptnProjects, 'podtato', 'KEPTN_PROJECTS: the bridge takes the demo project\'s deployments only')
})

// shipyard-controller 1.4.5 (models/sequence_execution.go GetNextTriggeredEventData) merges a
// task's properties into data[<task name>], so they reach lighthouse as data.evaluation.*; and
// lighthouse (getEvaluationTimestamps on go-utils v0.20.4 timeutils) errors without a window and
// refuses `end` together with `timeframe`.
for (const file of ['deploy/demo/shipyard.yaml', 'deploy/demo/shipyard-with-tests.yaml']) {
  t.test(`${file}: lighthouse gets a window in both sequences, never two`, async t => {
    const sequences = sequencesOf(one(file), 'dev')
    const [evaluation] = (sequences.get('delivery') ?? []).filter(x => x.name === 'evaluation')
    t.ok(evaluation, 'delivery has an evaluation task')
    // a duration lighthouse parses (Go's time.ParseDuration) and a window of at least a minute
    t.match(evaluation?.properties?.timeframe, /^\d+m$/, 'delivery: evaluation.properties.timeframe (Keptn-driven: no one else sends a window)')
    t.ok((parseDuration(evaluation?.properties?.timeframe ?? '0s') ?? 0) >= 60_000, 'at least 1m (go-utils refuses a shorter window)')
    // GitOps-first: the bridge sends data.evaluation.start/end (EVALUATION_WINDOW)
    for (const task of sequences.get('evaluation') ?? []) {
      t.notOk(task.properties?.timeframe, 'evaluation sequence: no timeframe (the bridge sends start/end; lighthouse refuses end with timeframe)')
    }
  })
}

t.test('shipyard-with-tests.yaml is shipyard.yaml plus a test task, which job-executor-config.yaml takes', async t => {
  const plain = sequencesOf(one('deploy/demo/shipyard.yaml'), 'dev')
  const tests = sequencesOf(one('deploy/demo/shipyard-with-tests.yaml'), 'dev')
  t.same(taskNames(tests.get('delivery')), ['deployment', 'test', 'evaluation'])
  t.same([...tests.keys()], [...plain.keys()], 'the same sequences')
  t.same(tests.get('evaluation'), plain.get('evaluation'))
  t.same(tests.get('delivery')!.filter(x => x.name !== 'test'), plain.get('delivery'), 'the same tasks besides test')
  // job-executor-service 0.3.0's job config (pkg/config: apiVersion v2, actions[].events[].name, tasks[])
  const job = one('deploy/demo/job-executor-config.yaml')
  t.equal(job.apiVersion, 'v2')
  const actions = (job.actions as Doc[]).filter(a => (a.events as Doc[]).some(e => e.name === 'sh.keptn.event.test.triggered'))
  t.equal(actions.length, 1, 'one action for test.triggered')
  t.same((job.actions as Doc[]).flatMap(a => (a.events as Doc[]).map(e => e.name)), ['sh.keptn.event.test.triggered'], 'it takes nothing but test')
  const [task] = actions[0]!.tasks as Doc[]
  t.match(task!.image, /^[\w./-]+:[\w.-]+$/, 'a pinned image')
  // the bridge's deployment.finished has empty deploymentURIs: the job names the service's URL itself
  const url = new URL((task!.args as string[]).at(-1)!)
  const hr = one('deploy/demo/gitops/apps/dev/helloservice.yaml')
  const service = read('deploy/demo/gitops/charts/helloservice/templates/service.yaml')
  t.equal(url.hostname, `${hr.spec.releaseName}.${hr.metadata.namespace}.svc.cluster.local`, 'the Service of the demo release (named after the release)')
  t.match(service, /name: \{\{ \.Release\.Name \}\}/)
  t.equal(url.port, '', 'port 80')
  t.match(service, /port: 80\b/)
})

t.test('the Keptn values of the demo pull MongoDB from bitnamilegacy, same tag as Keptn 1.4.5 bundles', async t => {
  const values = one('deploy/demo/keptn-values.yaml')
  // keptn/keptn 1.4.5 installer/manifests/keptn: mongodb chart 13.9.4 under the alias `mongo`,
  // image docker.io/bitnami/mongodb:6.0.5-debian-11-r4; Bitnami moved versioned tags to
  // docker.io/bitnamilegacy (bitnami/containers#83267).
  t.same(values, { mongo: { image: { registry: 'docker.io', repository: 'bitnamilegacy/mongodb', tag: '6.0.5-debian-11-r4' } } },
    'only the image, nothing else of Keptn\'s defaults changed')
  // mongodb 13.9.4 / common 2.2.4 does not check image names: no allowInsecureImages
  t.notOk(values.global, 'no global.security.allowInsecureImages (that chart version has no such check)')
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
  // every file of deploy/demo is named in its README
  for (const file of readdirSync(demo).filter(f => f !== 'README.md')) t.ok(readme.includes(file), `names ${file}`)
})

t.test('the demo README: Keptn installed with the demo values, the walk to the sequence\'s end, no macOS-only commands', async t => {
  const readme = read('deploy/demo/README.md')
  t.match(readme, /helm install keptn keptn\/keptn --version 1\.4\.5 [^\n]*\\\n\s*-f \$BRIDGE\/deploy\/demo\/keptn-values\.yaml/, 'helm install keptn … -f keptn-values.yaml')
  t.match(readme, /bitnami\/containers#83267/, 'says why')
  t.match(readme, /keptn create project podtato --shipyard=\$BRIDGE\/deploy\/demo\/shipyard\.yaml/, 'the default shipyard')
  t.match(readme, /--shipyard=\$BRIDGE\/deploy\/demo\/shipyard-with-tests\.yaml/, 'the variant, with its tester')
  t.match(readme, /https:\/\/github\.com\/keptn\/keptn\/releases\/download\/1\.4\.5\/keptn-1\.4\.5-linux-amd64\.tar\.gz/, 'where the keptn CLI comes from')
  for (const tool of ['kubectl', 'helm', 'flux', 'keptn', 'jq', 'git', 'kind', 'openssl', 'curl', 'docker']) {
    t.match(readme.slice(0, readme.indexOf('## 1.')), new RegExp(`\`${tool}\``), `${tool} is among the prerequisites`)
  }
  for (const step of ['--watch', '--keptn-context', 'port-forward svc/keptn-gitops-bridge', 'localhost:8081/bridge', ':v9.9.9', 'UpgradeFailed', 'dev.delivery.finished', 'dev.evaluation.finished', 'EVALUATION_WINDOW', 'KEPTN_PROJECTS', 'send-test-event -- -h']) {
    t.ok(readme.includes(step), step)
  }
  // the commands must run on Linux as they are
  for (const [what, re] of [['sed -i \'\' (BSD only)', /sed -i ''/], ['open (macOS)', /^\s*open /m], ['pbcopy', /pbcopy/], ['brew', /\bbrew /]] as const) {
    t.notMatch(readme, re, `no ${what}`)
  }
  // the troubleshooting row on alert-providers says the truth: v1beta3 Providers have no status
  t.match(readme, /`flux get alert-providers`[^\n]*no status[^\n]*notification-controller/, 'alert-providers: always Ready, the Secret shows in notification-controller')
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
  // Healthy alone fires before the rollout (argo-cd #9070): only a status Synced to what the
  // operation synced counts; once per sync operation, so a same-revision change is reported too.
  t.match(deployed.when, /phase in \['Succeeded'\][\s\S]*health\.status == 'Healthy'[\s\S]*sync\.status == 'Synced'[\s\S]*sync\.revision == app\.status\.operationState\.syncResult\?\.revision/)
  for (const name of ['keptn-on-deployed', 'keptn-on-sync-failed', 'keptn-on-health-degraded']) {
    t.equal(triggers.get(name)![0]!.oncePer, 'app.status.operationState?.startedAt', `${name}: once per sync operation`)
  }
  t.match(triggers.get('keptn-on-sync-failed')![0]!.when, /phase in \['Error', 'Failed'\]/)
  t.match(triggers.get('keptn-on-health-degraded')![0]!.when, /app\.status\.health\.status == 'Degraded'[\s\S]*phase in \['Succeeded'\]/)

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

// --- values.schema.json: what helm checks values against (tests/peers/helm.test.ts runs helm on it) ---

const schema = JSON.parse(read('deploy/chart/keptn-gitops-bridge/values.schema.json')) as Doc
/** A schema node with its `$ref` (local `#/definitions/…`) followed. */
const resolve = (node: Doc | undefined): Doc | undefined => {
  if (node?.$ref === undefined) return node
  const name = /^#\/definitions\/([\w-]+)$/.exec(node.$ref)?.[1]
  if (!name || !schema.definitions?.[name]) throw new Error(`unresolvable $ref ${node.$ref}`)
  return resolve(schema.definitions[name])
}
/** The JSON types a schema node allows (its `type`, or the union over `anyOf`). */
const typesOf = (node: Doc): string[] => {
  const n = resolve(node)!
  if (n.anyOf) return (n.anyOf as Doc[]).flatMap(typesOf)
  return n.type === undefined ? [] : [n.type].flat()
}
const jsonType = (v: unknown): string => v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v
const schemaAt = (path: string): Doc | undefined => path.split('.').reduce<Doc | undefined>((node, key) => resolve(resolve(node)?.properties?.[key]), schema)

t.test('values.schema.json: draft-07, every values key has a typed entry, and no entry without a value', async t => {
  t.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#')
  const values = parseYaml(read('deploy/chart/keptn-gitops-bridge/values.yaml')) as Doc
  let checked = 0
  // values.yaml → schema: every key is declared where the schema lists properties, with a type its default has
  const walkValues = (obj: Doc, node: Doc, prefix: string) => {
    for (const [key, value] of Object.entries(obj)) {
      const path = prefix ? `${prefix}.${key}` : key
      const entry = resolve(node.properties?.[key])
      if (!t.ok(entry, `${path} is in the schema`)) continue
      checked++
      const types = typesOf(entry!)
      t.ok(types.length > 0, `${path} has a type`)
      const type = jsonType(value)
      t.ok(types.includes(type) || (type === 'integer' && types.includes('number')), `${path}: its default (${type}) has a type the schema allows (${types.join(', ')})`)
      if (type === 'object' && entry!.properties) walkValues(value as Doc, entry!, path)
    }
  }
  walkValues(values, schema, '')
  t.ok(checked > 100, `${checked} keys checked`)
  // schema → values.yaml: no stale entries (global: set by a parent chart, never in values.yaml)
  const walkSchema = (node: Doc, obj: Doc | undefined, prefix: string) => {
    for (const [key, entry] of Object.entries(node.properties ?? {})) {
      const path = prefix ? `${prefix}.${key}` : key
      if (path === 'global') continue
      t.ok(obj !== undefined && Object.hasOwn(obj, key), `schema entry ${path} is a key of values.yaml`)
      const resolved = resolve(entry as Doc)!
      if (resolved.properties && resolved.type === 'object') walkSchema(resolved, obj?.[key], path)
    }
  }
  walkSchema(schema, values, '')
})

t.test('values.schema.json: unknown keys are refused wherever the schema lists the keys', async t => {
  const nodes: Array<[string, Doc]> = [['(top level)', schema], ...Object.entries(schema.definitions as Record<string, Doc>)]
  const collect = (node: Doc, where: string) => {
    for (const [key, entry] of Object.entries((node.properties ?? {}) as Record<string, Doc>)) {
      if (entry.properties) nodes.push([`${where}.${key}`, entry])
      collect(entry, `${where}.${key}`)
    }
  }
  collect(schema, '')
  for (const def of Object.values(schema.definitions as Record<string, Doc>)) collect(def, '(definition)')
  const withKeys = nodes.filter(([, node]) => node.properties)
  t.ok(withKeys.length >= 20, `${withKeys.length} objects with known keys`)
  for (const [where, node] of withKeys) t.equal(node.additionalProperties, false, `${where}: additionalProperties false`)
  t.ok(schema.properties.global, 'global is allowed (helm sets it when the chart is a dependency)')
})

t.test('values.schema.json: enums and patterns take what the service takes', async t => {
  t.same(schemaAt('config.logLevel')!.enum, [...logLevels], 'config.logLevel: LOG_LEVEL\'s levels')
  t.same(schemaAt('config.versionMatch')!.enum, ['', ...versionMatches], 'config.versionMatch: "" or VERSION_MATCH\'s values')
  const pattern = (name: string) => {
    const def = schema.definitions[name] as Doc
    return new RegExp((def.pattern ?? (def.anyOf as Doc[]).find(a => a.type === 'string')!.pattern) as string)
  }
  // the patterns of the durations accept exactly what app/core/duration.ts parses ("" = the default)
  for (const text of ['500ms', '10s', '15m', '1h', '7d', '1.5h', '0', '', '15 minutes', '10', '-1s', '1w', '1h30m', ' 5m', '5M']) {
    const parses = text === '' || parseDuration(text) !== undefined
    t.equal(pattern('durationOrZero').test(text), parses, `durationOrZero ${JSON.stringify(text)}: ${parses ? 'accepted' : 'refused'}, as by the service`)
    t.equal(pattern('duration').test(text), parses && text !== '0', `duration ${JSON.stringify(text)}: ${parses && text !== '0' ? 'accepted' : 'refused'} (0 is refused where the service refuses it)`)
  }
  for (const path of ['config.keptnPollInterval', 'config.earlyResultWindow', 'config.maxEventLoopDelay', 'config.maxEventAge', 'config.maxClockSkew', 'config.observeInterval']) {
    t.ok(typesOf(schemaAt(path)!).includes('integer'), `${path} takes the number 0 as well (--set ${path}=0)`)
  }
  t.same(schemaAt('git.targets')!.items.$ref, '#/definitions/gitTarget')
  t.same(Object.keys(resolve(schemaAt('mapping.rules')!.items)!.properties).sort(), ['match', 'project', 'sequence', 'service', 'stage'], 'the keys parseMappingRules allows')
})

t.test('the image: no published default, so the chart says how to build it and NOTES.txt warns', async t => {
  const values = parseYaml(read('deploy/chart/keptn-gitops-bridge/values.yaml')) as Doc
  const helpers = read('deploy/chart/keptn-gitops-bridge/templates/_helpers.tpl')
  const defaultRepository = /define "kgb\.defaultImageRepository" -}}\n(.+)\n/.exec(helpers)?.[1]
  t.equal(defaultRepository, values.image.repository, 'the NOTES.txt check compares with values.yaml\'s own default')
  t.match(read('deploy/chart/keptn-gitops-bridge/templates/NOTES.txt'), /if eq \.Values\.image\.repository \(include "kgb\.defaultImageRepository" \.\)/)
  const readme = read('deploy/chart/keptn-gitops-bridge/README.md')
  for (const text of ['docker build -f deploy/Dockerfile', 'kind load docker-image', 'docker push']) t.ok(readme.includes(text), `the chart README says: ${text}`)
  t.match(read('deploy/Dockerfile'), /docker build -f deploy\/Dockerfile/, 'the command matches the Dockerfile\'s own')
})

// --- monitoring: the PrometheusRule's expressions are checked on helm's output in tests/peers/helm.test.ts ---

t.test('PromQL metric-name extraction (used on the alerts and the dashboard)', async t => {
  t.same(metricNames('rate(up[5m])'), ['up'])
  t.same(metricNames('sum by (le, route) (rate(x_bucket{status=~"5..", a="b"}[5m])) > 0.5'), ['x_bucket'])
  t.same(metricNames('kgb_outbox_depth > 100 and deriv(kgb_outbox_depth[10m]) > 0'), ['kgb_outbox_depth', 'kgb_outbox_depth'])
  t.same(metricNames('histogram_quantile(0.95, sum without (pod) (rate(a[$__rate_interval] offset 5m)))'), ['a'])
  t.same(metricNames('count(process_cpu_seconds_total) * on (job) group_left (version) b'), ['process_cpu_seconds_total', 'b'])
  t.ok(isKgbSeries('kgb_http_request_duration_seconds_bucket'))
  t.notOk(isKgbSeries('kgb_http_requests_total_bucket'), 'a counter has no buckets')
  t.notOk(isKgbSeries('kgb_unknown'))
})

t.test('every metric the alerts and the dashboard may use is one app/core/metrics.ts registers', async t => {
  const source = read('app/core/metrics.ts')
  for (const name of kgbMetrics) t.ok(source.includes(`name: '${name}'`), `${name} is registered`)
})

t.test('the Grafana dashboard: valid JSON, every query on the bridge\'s metrics, every metric on a panel', async t => {
  const dashboard = JSON.parse(read('deploy/chart/keptn-gitops-bridge/dashboards/keptn-gitops-bridge.json')) as Doc
  t.ok(dashboard.uid && dashboard.title, 'uid and title')
  const panels = (dashboard.panels as Doc[]).flatMap(p => [p, ...((p.panels ?? []) as Doc[])])
  t.ok(panels.length >= 14, `${panels.length} panels`)
  t.equal(new Set(panels.map(p => p.id)).size, panels.length, 'panel ids are unique')
  const used = new Set<string>()
  for (const panel of panels.filter(p => p.type !== 'row')) {
    t.same(panel.datasource, { type: 'prometheus', uid: '$' + '{datasource}' }, `${panel.title}: the chosen Prometheus data source (the datasource variable)`)
    t.ok(panel.targets?.length > 0, `${panel.title}: has queries`)
    for (const target of panel.targets ?? []) {
      const names = metricNames(target.expr)
      t.ok(names.length > 0, `${panel.title}: ${target.expr} selects a metric`)
      for (const name of names) {
        t.ok(isKgbSeries(name), `${panel.title}: ${name} is one of the bridge's metrics`)
        used.add(name.replace(/_(bucket|sum|count)$/, ''))
      }
      t.match(target.expr, /namespace=~"\$namespace"/, `${panel.title}: filtered by the namespace variable`)
    }
  }
  for (const name of kgbMetrics) t.ok(used.has(name), `${name} is on a panel`)
  const variables = new Map<string, Doc>((dashboard.templating.list as Doc[]).map(v => [v.name, v]))
  t.equal(variables.get('datasource')?.query, 'prometheus')
  const namespaceQuery = /^label_values\((\w+), namespace\)$/.exec(variables.get('namespace')?.query?.query ?? '')
  t.ok(namespaceQuery && isKgbSeries(namespaceQuery[1]!), 'the namespace variable lists the namespaces that run a bridge')
  // the brief's panels, by the metric and grouping they show
  const exprs = panels.flatMap(p => (p.targets ?? []).map((x: Doc) => x.expr as string)).join('\n')
  t.match(exprs, /sum by \(route, method, status\) \(rate\(kgb_http_requests_total/, 'HTTP requests by route and status')
  t.match(exprs, /histogram_quantile\(0\.95, sum by \(le, route\) \(rate\(kgb_http_request_duration_seconds_bucket/, 'p95 latency per route')
  t.match(exprs, /sum by \(source, result\) \(rate\(kgb_events_received_total/, 'events by source and result')
  t.match(exprs, /sum by \(result\) \(rate\(kgb_git_writes_total/, 'Git writes by result')
  t.match(exprs, /sum by \(operation, cause\) \(rate\(kgb_kubernetes_errors_total/, 'Kubernetes errors by operation and cause')
  t.match(exprs, /count by \(version\) \(kgb_build_info/, 'the running versions')
})

// --- kubectl apply -k deploy/flux, deploy/argocd (built with kustomize in tests/peers/helm.test.ts) ---

const kustomizeFolders: Record<string, { examples: string[] }> = {
  'deploy/flux': { examples: ['helmrelease-example.yaml'] },
  'deploy/argocd': { examples: ['application-example.yaml'] }
}
for (const [folder, { examples }] of Object.entries(kustomizeFolders)) {
  t.test(`${folder}/kustomization.yaml: every manifest of the folder applied, the examples named as left out`, async t => {
    const kustomization = one(`${folder}/kustomization.yaml`)
    const text = read(`${folder}/kustomization.yaml`)
    t.equal(kustomization.apiVersion, 'kustomize.config.k8s.io/v1beta1')
    t.equal(kustomization.kind, 'Kustomization')
    t.notOk(kustomization.namespace, 'no namespace override: each object names its own (flux-system, argocd)')
    const files = readdirSync(join(root, folder)).filter(f => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort()
    t.same([...kustomization.resources, ...examples].sort(), files, 'resources + examples = the YAML files of the folder')
    for (const example of examples) t.match(text, new RegExp(`Not applied[^]*${example.replace('.', '\\.')}`), `${example}: the kustomization says why it is left out`)
    for (const resource of kustomization.resources as string[]) {
      for (const doc of docsOf(`${folder}/${resource}`)) t.ok(doc.apiVersion && doc.kind && doc.metadata?.name && doc.metadata?.namespace, `${resource}: ${doc.kind}/${doc.metadata?.name} is a namespaced Kubernetes object`)
    }
    t.match(text, new RegExp(`kubectl apply (--server-side --field-manager=keptn-gitops-bridge )?-k ${folder}\\b`), 'says how to apply it')
  })
}

t.test('deploy/flux needs Flux 2.2 (notification v1beta3) and says so; the mapping example is no longer among the manifests', async t => {
  const text = read('deploy/flux/kustomization.yaml')
  t.match(text, /Flux 2\.2 or later/)
  for (const file of ['provider.yaml', 'alert.yaml']) t.equal(one(`deploy/flux/${file}`).apiVersion, 'notification.toolkit.fluxcd.io/v1beta3', `${file}: v1beta3`)
  t.notOk(existsSync(join(deploy, 'flux', 'mapping.yaml')), 'deploy/flux/mapping.yaml moved to deploy/examples')
  t.ok(existsSync(join(deploy, 'examples', 'mapping.yaml')))
  // nothing under deploy/ points at the old place, and every deploy/… path the docs name exists
  for (const file of walk(deploy).filter(p => /\.(md|txt|ya?ml|tpl|sh|json)$/.test(p))) {
    const content = readFileSync(file, 'utf8')
    t.notOk(content.includes('deploy/flux/mapping.yaml'), `${relative(root, file)} does not name deploy/flux/mapping.yaml`)
    if (file.endsWith('.md')) {
      // (deploy/<name> alone is also kubectl's Deployment shorthand: only this repository's folders count)
      for (const m of content.matchAll(/(?<![\w$/])deploy\/(?:chart|demo|flux|argocd|manifests|examples|Dockerfile)[\w./-]*/g)) {
        const path = m[0].replace(/[.]+$/, '')
        t.ok(existsSync(join(root, path)), `${relative(root, file)} names ${path}, which exists`)
      }
    }
  }
})
