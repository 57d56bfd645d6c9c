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
import { byKind, checkDeployment, checkRbac, containerOf, deploymentOf, envNames, knownEnv, parseAllDocuments, root, deploy, read, docsOf, one, walk, chartDirs, type Doc } from './helpers/deploy.js'
import { parseMappingRules } from '../../app/core/mapping/mapping-file.js'
import { parseGitTargets } from '../../app/core/gitops/targets.js'

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
      if (['mapping.yaml', 'git-targets.yaml', 'bridge-values.yaml'].some(n => file.endsWith(n)) && !doc.kind) continue
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
  // that helm renders the chart with them: tests/peers/helm.test.ts
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
