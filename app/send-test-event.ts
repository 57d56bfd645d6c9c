import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'
import { signBody } from './core/auth.js'
import { requestText } from './core/http.js'

export interface TestEventOptions {
  url: string
  key?: string
  token?: string
  project: string
  stage: string
  service: string
  reason: string
  revision: string
  kind: string
  namespace: string
  name: string
}

const usage = `send-test-event: sign and send a realistic Flux event, as notification-controller would

  npm run send-test-event -- --url http://localhost:8080/hooks/flux --key <hmac key> [options]

  --url URL          the bridge's Flux hook (default http://localhost:8080/hooks/flux)
  --key KEY          HMAC key (generic-hmac); default: the first of FLUX_HMAC_KEYS
  --token TOKEN      bearer token; default: FLUX_WEBHOOK_TOKEN
  --project/--stage/--service   Keptn mapping sent as event metadata (podtato/dev/helloservice)
  --reason REASON    UpgradeSucceeded (default), UpgradeFailed, Progressing, …
  --revision REV     chart version or git revision (default 0.1.0)
  --kind, --namespace, --name   the involved object (HelmRelease <project>-<stage>/<service>)
`

/** The JSON body helm-controller would send for this object and outcome. */
export function testEventBody (o: TestEventOptions, now = new Date()): string {
  const failed = /Failed$/.test(o.reason)
  return JSON.stringify({
    involvedObject: { kind: o.kind, namespace: o.namespace, name: o.name, apiVersion: 'helm.toolkit.fluxcd.io/v2' },
    severity: failed ? 'error' : 'info',
    timestamp: now.toISOString().replace(/\.\d+Z$/, 'Z'),
    message: failed ? `Helm upgrade failed for release ${o.namespace}/${o.name}: test event` : `Helm upgrade succeeded for release ${o.namespace}/${o.name} with chart ${o.service}@${o.revision} (test event)`,
    reason: o.reason,
    metadata: { revision: o.revision, 'keptn-project': o.project, 'keptn-stage': o.stage, 'keptn-service': o.service },
    reportingController: 'helm-controller',
    reportingInstance: 'send-test-event'
  })
}

export async function sendTestEvent (o: TestEventOptions): Promise<{ status: number, body: string }> {
  const body = testEventBody(o)
  const headers: Record<string, string> = { 'content-type': 'application/json', 'gotk-component': 'helm-controller' }
  if (o.key) headers['x-signature'] = signBody(body, o.key)
  if (o.token) headers.authorization = `Bearer ${o.token}`
  const res = await requestText(o.url, { method: 'POST', body, headers, timeoutMs: 10_000 })
  return { status: res.status, body: res.text }
}

export function optionsFromArgs (args: string[], env: Record<string, string | undefined>): TestEventOptions {
  const { values } = parseArgs({
    args,
    options: Object.fromEntries(['url', 'key', 'token', 'project', 'stage', 'service', 'reason', 'revision', 'kind', 'namespace', 'name']
      .map(name => [name, { type: 'string' as const }]))
  })
  const project = values.project ?? 'podtato'
  const stage = values.stage ?? 'dev'
  const service = values.service ?? 'helloservice'
  return {
    url: values.url ?? 'http://localhost:8080/hooks/flux',
    key: values.key ?? env.FLUX_HMAC_KEYS?.split(',')[0] ?? undefined,
    token: values.token ?? env.FLUX_WEBHOOK_TOKEN,
    project,
    stage,
    service,
    reason: values.reason ?? 'UpgradeSucceeded',
    revision: values.revision ?? '0.1.0',
    kind: values.kind ?? 'HelmRelease',
    namespace: values.namespace ?? `${project}-${stage}`,
    name: values.name ?? service
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    if (process.argv.includes('--help')) {
      process.stdout.write(usage)
    } else {
      const { status, body } = await sendTestEvent(optionsFromArgs(process.argv.slice(2), process.env))
      process.stdout.write(`${status} ${body}\n`)
      process.exitCode = status >= 200 && status < 300 ? 0 : 1
    }
  } catch (err) {
    process.stderr.write(`send-test-event: ${(err as Error).message}\n${usage}`)
    process.exitCode = 2
  }
}
