import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { build } from '../helpers/app.js'
import { withKeptnFake, type KeptnFake, ofType } from '../helpers/keptn-fake.js'
import { fluxEvent, fluxRequest } from '../helpers/flux.js'
import type { KeptnCloudEvent } from '../../schemas/keptn-event.js'

// Drives the bridge with deployment.triggered events made by Keptn's own Go code (go-utils and the
// CloudEvents SDK as keptn/keptn 1.4.5 pins them: tests/peers/keptn) and checks everything the bridge
// sends back with Keptn's rules (`keptn-peer validate`). Build first: bash tests/peers/keptn/build.sh.

const peerBin = fileURLToPath(new URL('./.bin/keptn-peer', import.meta.url))
if (!existsSync(peerBin)) {
  throw new Error(`${peerBin} is missing: build it with \`bash tests/peers/keptn/build.sh\` (npm run test:peers does)`)
}

function peer (args: string[], input?: string) {
  const res = spawnSync(peerBin, args, { input, encoding: 'utf8', timeout: 30_000 })
  if (res.error) throw res.error
  return { status: res.status, stdout: res.stdout, stderr: res.stderr }
}

function keptnEvent (kase: string, args: Record<string, string>): KeptnCloudEvent {
  const flags = Object.entries(args).flatMap(([k, v]) => [`--${k}`, v])
  const res = peer(['triggered', kase, ...flags])
  if (res.status !== 0) throw new Error(`keptn-peer triggered ${kase} failed: ${res.stderr}`)
  return JSON.parse(res.stdout) as KeptnCloudEvent
}

const configRepoCommit = 'c0ffee11c0ffee22c0ffee33c0ffee44c0ffee55'
const gitopsCommit = '9a8b7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3'

function env (fake: KeptnFake, over: Record<string, string> = {}) {
  return { KEPTN_API_URL: fake.url, KEPTN_API_TOKEN: fake.token, KEPTN_POLL_INTERVAL: '0', ...over }
}

function helmSuccess (stage: string, service: string) {
  return fluxEvent({
    involvedObject: { kind: 'HelmRelease', namespace: `podtato-${stage}`, name: service, apiVersion: 'helm.toolkit.fluxcd.io/v2', uid: randomUUID() },
    message: `Helm upgrade succeeded for release podtato-${stage}/${service}.v2 with chart podtato-head@0.3.2`,
    metadata: { revision: '0.3.2', 'keptn-project': 'podtato', 'keptn-stage': stage, 'keptn-service': service }
  })
}

/** Everything the fake received goes through Keptn's validation; the .finished is checked typed. */
function checkWithKeptn (t: Test, fake: KeptnFake, triggered: KeptnCloudEvent, stage: string, service: string) {
  const validation = peer(['validate'], JSON.stringify(fake.received))
  t.equal(validation.status, 0, 'keptn-peer validate accepts what the bridge sent', { stderr: validation.stderr })
  if (validation.stderr) t.comment(validation.stderr.trim())
  const started = ofType(fake, 'started').filter(e => e.triggeredid === triggered.id)
  const finished = ofType(fake, 'finished').filter(e => e.triggeredid === triggered.id)
  t.equal(started.length, 1, 'one .started')
  t.equal(finished.length, 1, 'one .finished')
  t.match(finished[0], { shkeptncontext: triggered.shkeptncontext, data: { project: 'podtato', stage, service, status: 'succeeded', result: 'pass' } })
  const typed = peer(['finished-data'], JSON.stringify(finished[0]))
  t.equal(typed.status, 0, `the .finished decodes into keptnv2.DeploymentFinishedEventData\n${typed.stderr}`)
  if (typed.status === 0) {
    t.match(JSON.parse(typed.stdout), { project: 'podtato', stage, service, status: 'succeeded', result: 'pass', deployment: { deploymentNames: [service] } })
  }
}

async function pushAndFinish (t: Test, fake: KeptnFake, kase: string, stage: string, result = helmSuccess) {
  const app = await build(t, env(fake))
  const service = `svc-${kase}`
  const triggered = keptnEvent(kase, { stage, service, id: randomUUID(), context: randomUUID(), gitcommitid: configRepoCommit })
  // Keptn holds the event it pushes: the bridge confirms a push with Keptn's listing.
  fake.addTriggered(triggered)
  const pushed = await app.inject({ method: 'POST', url: '/events/keptn', headers: { 'content-type': 'application/cloudevents+json' }, payload: JSON.stringify(triggered) })
  t.equal(pushed.statusCode, 202, `the bridge takes Keptn 1.4.5's ${kase} event (answered ${pushed.statusCode} ${pushed.body})`)
  if (pushed.statusCode !== 202) return
  t.match(pushed.json(), { status: 'accepted', triggeredId: triggered.id })
  const res = await app.inject(fluxRequest(result(stage, service)))
  t.equal(res.statusCode, 202, `the Flux result is taken (answered ${res.statusCode} ${res.body})`)
  if (res.statusCode !== 202) return
  await fake.waitFor(f => ofType(f, 'finished').some(e => e.triggeredid === triggered.id))
  checkWithKeptn(t, fake, triggered, stage, service)
}

withKeptnFake(t, 'first delivery in dev, pushed by the distributor (Keptn 1.4.5 bytes) finishes succeeded/pass', async (t, fake) => {
  await pushAndFinish(t, fake, 'first', 'dev')
})

withKeptnFake(t, 'a promotion to prod carrying evaluation, test and dev deployment data finishes succeeded/pass', async (t, fake) => {
  await pushAndFinish(t, fake, 'promotion', 'prod')
})

for (const kase of ['listed', 'listed-legacy']) {
  withKeptnFake(t, `a ${kase} event pulled from the triggered-events API finishes succeeded/pass`, async (t, fake) => {
    const service = `svc-${kase}`
    const triggered = keptnEvent(kase, { service, id: randomUUID(), context: randomUUID(), gitcommitid: configRepoCommit })
    fake.addTriggered(triggered)
    const app = await build(t, env(fake, { KEPTN_POLL_INTERVAL: '30ms' }))
    try {
      await fake.waitFor(f => ofType(f, 'started').some(e => e.triggeredid === triggered.id), 5000)
    } catch (err) {
      const listed = await app.inject('/api/v1/deployments')
      t.fail(`the bridge never took the listed event: ${(err as Error).message}\n/api/v1/deployments: ${listed.body}`)
      return
    }
    const res = await app.inject(fluxRequest(helmSuccess('dev', service)))
    t.equal(res.statusCode, 202, `the Flux result is taken (answered ${res.statusCode} ${res.body})`)
    await fake.waitFor(f => ofType(f, 'finished').some(e => e.triggeredid === triggered.id))
    checkWithKeptn(t, fake, triggered, 'dev', service)
  })
}

withKeptnFake(t, 'gitcommitid is Keptn\'s config-repo commit: a Kustomization at another GitOps commit still finishes succeeded', async (t, fake) => {
  // The promotion event: real 1.4.5 bytes whose data has no null, so this checks the commit rule alone.
  await pushAndFinish(t, fake, 'promotion', 'prod', (stage, service) => fluxEvent({
    involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name: `podtato-${stage}`, apiVersion: 'kustomize.toolkit.fluxcd.io/v1', uid: randomUUID() },
    reason: 'ReconciliationSucceeded',
    message: `Deployment/podtato-${stage}/${service} configured\nReconciliation finished in 1.2s, next run in 5m0s`,
    reportingController: 'kustomize-controller',
    reportingInstance: 'kustomize-controller-6bc5d5b96-8xq2v',
    metadata: { revision: `main@sha1:${gitopsCommit}`, 'keptn-project': 'podtato', 'keptn-stage': stage, 'keptn-service': service }
  }))
})

t.test('keptn-peer validate refuses what Keptn refuses', async t => {
  const base = { specversion: '1.0', id: randomUUID(), source: 'keptn-gitops-bridge', time: new Date().toISOString(), datacontenttype: 'application/json', shkeptncontext: randomUUID(), triggeredid: randomUUID() }
  const data = { project: 'podtato', stage: 'dev', service: 'helloservice' }
  const ok = { ...base, type: 'sh.keptn.event.deployment.finished', data: { ...data, status: 'succeeded', result: 'pass' } }
  t.equal(peer(['validate'], JSON.stringify([ok])).status, 0, 'a proper .finished passes')
  const cases: Array<[string, unknown, RegExp]> = [
    ['no triggeredid', { ...ok, triggeredid: '' }, /triggeredid/],
    ['no shkeptncontext', { ...ok, shkeptncontext: undefined }, /shkeptncontext/],
    ['bad status', { ...ok, data: { ...ok.data, status: 'done' } }, /status/],
    ['bad result', { ...ok, data: { ...ok.data, result: 'ok' } }, /result/],
    ['no stage', { ...ok, data: { ...ok.data, stage: '' } }, /project', 'stage' or 'service'/],
    ['task .triggered', { ...ok, type: 'sh.keptn.event.deployment.triggered' }, /action: triggered/],
    ['sequence stage mismatch', { ...ok, type: 'sh.keptn.event.prod.delivery.triggered', triggeredid: undefined }, /does not match/]
  ]
  for (const [name, ev, why] of cases) {
    const res = peer(['validate'], JSON.stringify(ev) + '\n')
    t.equal(res.status, 1, `${name} fails`)
    t.match(res.stderr, why, `${name}: names the rule`)
  }
  const gitops = peer(['validate'], JSON.stringify({ ...ok, type: 'sh.keptn.event.dev.delivery.triggered', triggeredid: undefined, gitcommitid: gitopsCommit, data }))
  t.equal(gitops.status, 0, 'gitcommitid on a triggered sequence is reported, not failed')
  t.match(gitops.stderr, /gitcommitid .* config repo/)
})

// lighthouse-service 1.4.5 errors every evaluation whose data has no window. A GitOps-first
// sequence carries EVALUATION_WINDOW from the deployment, and lighthouse's own rule (go-utils
// timeutils.GetStartEndTime, as keptn-peer evaluation-window runs it) takes it as sent.
for (const [window, expected] of [['5m', 'evaluated'], ['0', 'refused']] as const) {
  withKeptnFake(t, `a GitOps-first sequence with EVALUATION_WINDOW=${window}: lighthouse's rule ${expected === 'evaluated' ? 'takes its window' : 'refuses it, as every evaluation without one'}`, async (t, fake) => {
    const app = await build(t, env(fake, { TRIGGER_SEQUENCE: 'evaluation', EVALUATION_WINDOW: window }))
    const deployedAt = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z')
    const res = await app.inject(fluxRequest(fluxEvent({ timestamp: deployedAt, metadata: { revision: '0.3.2', 'keptn-project': 'podtato', 'keptn-stage': 'dev', 'keptn-service': 'helloservice' } })))
    t.equal(res.statusCode, 202)
    await fake.waitFor(f => f.received.some(e => e.type === 'sh.keptn.event.dev.evaluation.triggered'))
    const sequence = fake.received.find(e => e.type === 'sh.keptn.event.dev.evaluation.triggered')!
    const lighthouse = peer(['evaluation-window'], JSON.stringify(sequence))
    if (expected === 'refused') {
      t.equal(lighthouse.status, 1)
      t.match(lighthouse.stderr, /evaluation.triggered event does not contain evaluation timeframe/)
      return
    }
    t.equal(lighthouse.status, 0, lighthouse.stderr)
    const start = Date.parse(deployedAt)
    t.same(JSON.parse(lighthouse.stdout), { start: new Date(start).toISOString(), end: new Date(start + 5 * 60_000).toISOString() },
      'lighthouse evaluates the five minutes from the deployment, to the millisecond')
    t.equal(peer(['validate'], JSON.stringify([sequence])).status, 0, 'and Keptn takes the event')
  })
}
