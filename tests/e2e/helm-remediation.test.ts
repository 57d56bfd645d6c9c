import t from 'tap'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from '../helpers/app.js'
import { withKeptnFake, makeTriggered, pushTriggered, type KeptnFake, ofType } from '../helpers/keptn-fake.js'
import { fluxEvent, fluxRequest } from '../helpers/flux.js'
import { startKubernetesFake, type KubernetesFake } from '../helpers/kubernetes-fake.js'

// helm-controller remediates and retries a failed upgrade; no event says when it gives up (only
// status does: upgradeFailures > retries, Stalled). The bridge reads the HelmRelease to decide.

const podtato = { project: 'podtato', stage: 'dev', service: 'helloservice' }
const token = 'service-account-token-0123456789'

async function setup (t: Parameters<Parameters<typeof withKeptnFake>[2]>[0], fake: KeptnFake) {
  const kube = await startKubernetesFake({ token })
  t.teardown(() => kube.close())
  const dir = mkdtempSync(join(tmpdir(), 'kgb-helm-'))
  writeFileSync(join(dir, 'token'), token)
  const app = await build(t, { KUBERNETES_API_URL: kube.url, KUBERNETES_TOKEN_FILE: join(dir, 'token'), KEPTN_API_URL: fake.url, KEPTN_API_TOKEN: fake.token, KEPTN_POLL_INTERVAL: '0' })
  const triggered = makeTriggered({ ...podtato, configurationChange: { values: { image: 'ghcr.io/podtato-head/podtato-server:v0.3.3' } } })
  await app.inject(pushTriggered(fake, triggered))
  const helmRelease = (upgradeFailures: number, stalled = false) => kube.setObject('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'podtato-dev', 'helloservice', undefined, {
    spec: { interval: '5m', upgrade: { remediation: { retries: 2 } } },
    status: {
      lastAttemptedReleaseAction: 'upgrade',
      upgradeFailures,
      conditions: stalled ? [{ type: 'Stalled', status: 'True', reason: 'RetriesExceeded', message: 'Failed to upgrade after 3 attempt(s)' }] : []
    }
  })
  const event = (reason: string, severity: string, message: string) =>
    app.inject(fluxRequest(fluxEvent({ reason, severity, message, metadata: { revision: '0.3.2', 'app-version': '0.3.2', 'keptn-project': 'podtato', 'keptn-stage': 'dev', 'keptn-service': 'helloservice' } })))
  return { app, kube, triggered, helmRelease, event }
}

const failed = (n: number) => ['UpgradeFailed', 'error', `Helm upgrade failed for release podtato-dev/helloservice with chart podtato-head@0.3.2: context deadline exceeded (attempt ${n})`] as const
const rolledBack = (n: number) => ['RollbackSucceeded', 'info', `Helm rollback to previous release podtato-dev/helloservice.v${n} with chart podtato-head@0.3.2 succeeded`] as const

withKeptnFake(t, 'a failed upgrade helm-controller will retry finishes nothing; the retry that succeeds finishes it once', async (t, fake) => {
  const { kube, helmRelease, event, triggered } = await setup(t, fake)
  helmRelease(1)
  const first = await event(...failed(1))
  t.equal(first.statusCode, 200)
  t.match(first.json(), { status: 'ignored', reason: /UpgradeFailed is not final: upgrade failure 1 of 3/ })
  t.match((await event(...rolledBack(1))).json(), { status: 'ignored' })
  t.ok(kube.requests.some(p => p.endsWith('/helmreleases/helloservice')), 'the HelmRelease was read')
  const done = await event('UpgradeSucceeded', 'info', 'Helm upgrade succeeded for release podtato-dev/helloservice.v4 with chart podtato-head@0.3.2')
  t.equal(done.statusCode, 202)
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  t.match(ofType(fake, 'finished'), [{ triggeredid: triggered.id, data: { status: 'succeeded', result: 'pass' } }])
})

withKeptnFake(t, 'retries exhausted: the last failure finishes it errored, once', async (t, fake) => {
  const { helmRelease, event, triggered } = await setup(t, fake)
  for (const n of [1, 2]) {
    helmRelease(n)
    t.match((await event(...failed(n))).json(), { status: 'ignored' })
  }
  helmRelease(3)
  t.equal((await event(...failed(3))).statusCode, 202, 'upgradeFailures 3 > retries 2')
  helmRelease(3, true)
  t.match((await event(...rolledBack(5))).json(), { status: 'ignored', reason: /no pending deployment/ })
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  t.match(ofType(fake, 'finished'), [{ triggeredid: triggered.id, data: { status: 'errored', result: 'fail', message: /context deadline exceeded \(attempt 3\)/ } }])
})

withKeptnFake(t, 'the Kubernetes API away: the failure event is final, as without a cluster', async (t, fake) => {
  const { kube, event } = await setup(t, fake)
  await (kube as KubernetesFake).goDown()
  t.equal((await event(...failed(1))).statusCode, 202)
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  t.match(ofType(fake, 'finished'), [{ data: { status: 'errored', result: 'fail' } }])
})
