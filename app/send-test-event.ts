import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'
import { createHash, randomUUID } from 'node:crypto'
import { signBody } from './core/auth.js'
import { requestText } from './core/http.js'

/** What can be sent: two Flux controllers' events, an Argo CD notification, a Keptn triggered event. */
export const testEventKinds = ['helmrelease', 'kustomization', 'argocd', 'keptn'] as const
export type TestEventKind = typeof testEventKinds[number]

export interface TestEventOptions {
  /** Which event to send (--event); helmrelease when not given. */
  event: TestEventKind
  url: string
  key?: string
  token?: string
  project: string
  stage: string
  service: string
  /** The version deployed: the image tag (argocd, keptn) and the HelmRelease's default revision. */
  version: string
  reason: string
  revision: string
  /** The involved object (Flux) or Application (Argo CD). */
  kind: string
  namespace: string
  name: string
}

/** Where each kind goes on the bridge. */
const hookPaths: Record<TestEventKind, string> = {
  helmrelease: '/hooks/flux',
  kustomization: '/hooks/flux',
  argocd: '/hooks/argocd',
  keptn: '/events/keptn'
}

/** The Argo CD states --reason can ask for, named as the bridge reports them (judgeApplication). */
const argoStates: Record<string, { phase: string, health: string, trigger: string, message: string }> = {
  SyncSucceeded: { phase: 'Succeeded', health: 'Healthy', trigger: 'on-deployed', message: 'successfully synced (all tasks run)' },
  SyncFailed: { phase: 'Failed', health: 'Missing', trigger: 'on-sync-failed', message: 'one or more objects failed to apply (test event)' },
  HealthDegraded: { phase: 'Succeeded', health: 'Degraded', trigger: 'on-health-degraded', message: 'successfully synced (all tasks run)' },
  SyncRunning: { phase: 'Running', health: 'Progressing', trigger: 'on-sync-running', message: 'waiting for healthy state (test event)' }
}

/** Flags that say nothing to a kind: given anyway, they are refused rather than silently dropped. */
const notFor: Record<TestEventKind, string[]> = {
  helmrelease: [],
  kustomization: [],
  argocd: ['key'],
  keptn: ['key', 'token', 'reason', 'revision', 'kind', 'namespace', 'name']
}

export const usage = `send-test-event: sign and send a realistic Flux event, as notification-controller would,
or an Argo CD notification or a Keptn deployment.triggered event, to a running bridge

  npm run send-test-event -- [--event KIND] [--url URL] [options]

Kinds (--event):
  helmrelease    helm-controller event for a HelmRelease, POST /hooks/flux (the default)
  kustomization  kustomize-controller event for a Kustomization, POST /hooks/flux
  argocd         Argo CD Notifications webhook {"app": <Application>, "trigger": …}, POST /hooks/argocd
  keptn          Keptn sh.keptn.event.deployment.triggered CloudEvent, POST /events/keptn.
                 With KEPTN_API_URL set the bridge only takes triggered events Keptn itself lists,
                 so this one is answered "ignored" there: it is for log-only mode (no KEPTN_API_URL)

Options:
  --event KIND       one of the kinds above (default helmrelease)
  --url URL          the bridge's endpoint for the kind (default http://localhost:8080 + its path);
                     a URL without a path gets the kind's path
  --key KEY          HMAC key (generic-hmac; Flux kinds); default: the first of FLUX_HMAC_KEYS
  --token TOKEN      bearer token; default: FLUX_WEBHOOK_TOKEN (Flux kinds), ARGOCD_WEBHOOK_TOKEN (argocd)
  --project/--stage/--service   Keptn project, stage and service (podtato/dev/helloservice): Flux
                     event metadata, Application labels, the Keptn event's data
  --version VERSION  version deployed (default 0.1.0): image tag (argocd, keptn), HelmRelease revision
  --reason REASON    helmrelease: UpgradeSucceeded (default), UpgradeFailed, Progressing, …
                     kustomization: ReconciliationSucceeded (default), HealthCheckFailed, …
                     argocd: SyncSucceeded (default), SyncFailed, HealthDegraded, SyncRunning
  --revision REV     helmrelease: chart version (default: --version); kustomization: main@sha1:<commit>;
                     argocd: the synced commit (default: a commit derived from the mapping and version)
  --kind, --namespace, --name   the involved object: HelmRelease <project>-<stage>/<service>,
                     Kustomization flux-system/<service>-<stage>, Application argocd/<service>-<stage>
  -h, --help         this text

Environment: FLUX_HMAC_KEYS, FLUX_WEBHOOK_TOKEN, ARGOCD_WEBHOOK_TOKEN (the bridge's own variables).
Exit code: 0 when the bridge answers 2xx, 1 on another status, 2 on a usage or connection error.

Examples:
  FLUX_HMAC_KEYS=$KEY npm run send-test-event -- --url http://localhost:8080 --reason UpgradeFailed
  ARGOCD_WEBHOOK_TOKEN=$TOKEN npm run send-test-event -- --event argocd --project shop --stage prod --service cart --version 1.4.2
`

const seconds = (date: Date) => date.toISOString().replace(/\.\d+Z$/, 'Z')

/** A stable 40-hex commit for one service and version: repeated runs name the same commit. */
function commitFor (o: TestEventOptions): string {
  return createHash('sha1').update(`send-test-event ${o.project}/${o.stage}/${o.service} ${o.version}`).digest('hex')
}

const imageFor = (o: TestEventOptions) => `registry.example/${o.project}/${o.service}:${o.version}`
const mappingMetadata = (o: TestEventOptions) => ({ 'keptn-project': o.project, 'keptn-stage': o.stage, 'keptn-service': o.service })

function helmReleaseEvent (o: TestEventOptions, now: Date) {
  const failed = /Failed$/.test(o.reason)
  return {
    involvedObject: { kind: o.kind, namespace: o.namespace, name: o.name, apiVersion: 'helm.toolkit.fluxcd.io/v2' },
    severity: failed ? 'error' : 'info',
    timestamp: seconds(now),
    message: failed ? `Helm upgrade failed for release ${o.namespace}/${o.name}: test event` : `Helm upgrade succeeded for release ${o.namespace}/${o.name} with chart ${o.service}@${o.revision} (test event)`,
    reason: o.reason,
    metadata: { revision: o.revision, ...mappingMetadata(o) },
    reportingController: 'helm-controller',
    reportingInstance: 'send-test-event'
  }
}

function kustomizationEvent (o: TestEventOptions, now: Date) {
  const failed = /Failed$/.test(o.reason)
  return {
    involvedObject: { kind: o.kind, namespace: o.namespace, name: o.name, apiVersion: 'kustomize.toolkit.fluxcd.io/v1' },
    severity: failed ? 'error' : 'info',
    timestamp: seconds(now),
    message: failed ? `Deployment/${o.namespace}/${o.service} health check failed (test event)` : 'Reconciliation finished in 1.2s, next run in 10m0s (test event)',
    reason: o.reason,
    metadata: { commit_status: 'update', revision: o.revision, ...mappingMetadata(o) },
    reportingController: 'kustomize-controller',
    reportingInstance: 'send-test-event'
  }
}

function argoNotification (o: TestEventOptions, now: Date) {
  const state = argoStates[o.reason]!
  const at = seconds(now)
  const destination = `${o.project}-${o.stage}`
  const finished = state.phase !== 'Running'
  return {
    app: {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: o.kind,
      metadata: {
        name: o.name,
        namespace: o.namespace,
        uid: randomUUID(),
        labels: { 'keptn.sh/project': o.project, 'keptn.sh/stage': o.stage, 'keptn.sh/service': o.service },
        annotations: { [`notifications.argoproj.io/subscribe.${state.trigger}.keptn`]: '' }
      },
      spec: {
        project: o.project,
        destination: { server: 'https://kubernetes.default.svc', namespace: destination }
      },
      status: {
        resources: [{
          group: 'apps',
          version: 'v1',
          kind: 'Deployment',
          namespace: destination,
          name: o.service,
          status: finished ? 'Synced' : 'OutOfSync',
          health: state.health === 'Degraded' ? { status: 'Degraded', message: 'Deployment "' + o.service + '" exceeded its progress deadline (test event)' } : { status: state.health }
        }],
        sync: { status: finished ? 'Synced' : 'OutOfSync', revision: o.revision },
        health: { status: state.health },
        reconciledAt: at,
        operationState: {
          operation: { sync: { revision: o.revision } },
          phase: state.phase,
          message: state.message,
          startedAt: at,
          ...(finished ? { finishedAt: at, syncResult: { revision: o.revision } } : {})
        },
        summary: { images: [imageFor(o)] }
      }
    },
    trigger: state.trigger
  }
}

function keptnTriggered (o: TestEventOptions, now: Date) {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: 'shipyard-controller',
    type: 'sh.keptn.event.deployment.triggered',
    time: now.toISOString(),
    datacontenttype: 'application/json',
    shkeptncontext: randomUUID(),
    shkeptnspecversion: '0.2.4',
    data: {
      project: o.project,
      stage: o.stage,
      service: o.service,
      configurationChange: { values: { image: imageFor(o) } },
      deployment: { deploymentstrategy: 'direct' }
    }
  }
}

/** The JSON body the tool (helm-controller, kustomize-controller, Argo CD, Keptn) would send. */
export function testEventBody (o: TestEventOptions, now = new Date()): string {
  switch (o.event) {
    case 'kustomization': return JSON.stringify(kustomizationEvent(o, now))
    case 'argocd': return JSON.stringify(argoNotification(o, now))
    case 'keptn': return JSON.stringify(keptnTriggered(o, now))
    default: return JSON.stringify(helmReleaseEvent(o, now))
  }
}

/** The headers the sender would set: signature and gotk-component (Flux), bearer token, content type. */
export function testEventHeaders (o: TestEventOptions, body: string): Record<string, string> {
  if (o.event === 'keptn') return { 'content-type': 'application/cloudevents+json' }
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (o.event !== 'argocd') {
    headers['gotk-component'] = o.event === 'kustomization' ? 'kustomize-controller' : 'helm-controller'
    if (o.key) headers['x-signature'] = signBody(body, o.key)
  }
  if (o.token) headers.authorization = `Bearer ${o.token}`
  return headers
}

export async function sendTestEvent (o: TestEventOptions): Promise<{ status: number, body: string }> {
  const body = testEventBody(o)
  const res = await requestText(o.url, { method: 'POST', body, headers: testEventHeaders(o, body), timeoutMs: 10_000 })
  return { status: res.status, body: res.text }
}

function urlFor (url: string | undefined, event: TestEventKind): string {
  const target = new URL(url ?? 'http://localhost:8080')
  if (target.pathname === '/') target.pathname = hookPaths[event]
  return target.href
}

export function optionsFromArgs (args: string[], env: Record<string, string | undefined>): TestEventOptions {
  const { values } = parseArgs({
    args,
    options: Object.fromEntries(['event', 'url', 'key', 'token', 'project', 'stage', 'service', 'version', 'reason', 'revision', 'kind', 'namespace', 'name']
      .map(name => [name, { type: 'string' as const }]))
  })
  const event = (values.event ?? 'helmrelease').toLowerCase()
  if (!(testEventKinds as readonly string[]).includes(event)) throw new Error(`--event: ${values.event} is none of ${testEventKinds.join(', ')}`)
  const kind = event as TestEventKind
  const refused = notFor[kind].find(flag => values[flag] !== undefined)
  if (refused) throw new Error(`--${refused} does not apply to --event ${kind}`)
  const project = values.project ?? 'podtato'
  const stage = values.stage ?? 'dev'
  const service = values.service ?? 'helloservice'
  const version = values.version ?? '0.1.0'
  const flux = kind === 'helmrelease' || kind === 'kustomization'
  const defaults = {
    helmrelease: { reason: 'UpgradeSucceeded', kind: 'HelmRelease', namespace: `${project}-${stage}`, name: service },
    kustomization: { reason: 'ReconciliationSucceeded', kind: 'Kustomization', namespace: 'flux-system', name: `${service}-${stage}` },
    argocd: { reason: 'SyncSucceeded', kind: 'Application', namespace: 'argocd', name: `${service}-${stage}` },
    keptn: { reason: '', kind: '', namespace: '', name: '' }
  }[kind]
  const reason = values.reason ?? defaults.reason
  if (kind === 'argocd' && !(reason in argoStates)) throw new Error(`--reason: ${reason} is none of ${Object.keys(argoStates).join(', ')} for --event argocd`)
  const o: TestEventOptions = {
    event: kind,
    url: urlFor(values.url, kind),
    key: flux ? values.key ?? env.FLUX_HMAC_KEYS?.split(',')[0] ?? undefined : undefined,
    token: flux ? values.token ?? env.FLUX_WEBHOOK_TOKEN : kind === 'argocd' ? values.token ?? env.ARGOCD_WEBHOOK_TOKEN : undefined,
    project,
    stage,
    service,
    version,
    reason,
    revision: values.revision ?? '',
    kind: values.kind ?? defaults.kind,
    namespace: values.namespace ?? defaults.namespace,
    name: values.name ?? defaults.name
  }
  if (values.revision === undefined) {
    if (kind === 'helmrelease') o.revision = version
    else if (kind === 'kustomization') o.revision = `main@sha1:${commitFor(o)}`
    else if (kind === 'argocd') o.revision = commitFor(o)
  }
  return o
}

/** The command: prints the bridge's answer and gives the exit code (0 on 2xx, 1 otherwise, 2 on an error). */
export async function main (args: string[], env: Record<string, string | undefined>, out: (text: string) => void, err: (text: string) => void): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    out(usage)
    return 0
  }
  try {
    const { status, body } = await sendTestEvent(optionsFromArgs(args, env))
    out(`${status} ${body}\n`)
    return status >= 200 && status < 300 ? 0 : 1
  } catch (error) {
    err(`send-test-event: ${(error as Error).message}\n\n${usage}`)
    return 2
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2), process.env, text => process.stdout.write(text), text => process.stderr.write(text))
}
